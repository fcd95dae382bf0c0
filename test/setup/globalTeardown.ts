export default async function globalTeardown(): Promise<void> {
  await globalThis.__ENIFLOW_TEMPORAL__?.stop();
}
