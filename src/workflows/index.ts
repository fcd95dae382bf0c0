// The one entry point of the workflow bundle.
export { onboardNode } from './onboard';
export { offboardNode } from './offboard';
