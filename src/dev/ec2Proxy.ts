// A small HTTP proxy in front of moto's EC2 Query API. It
//  - reports every answered call (simulated nodes notice attach/detach at once; benchmarks count calls),
//  - adds the AWS behaviour moto lacks (strict mode, on by default): ClientToken idempotency,
//    device-index conflicts, "in use" on deleting an attached ENI, partial ModifyInstanceMetadataOptions
//    keeping the other fields, DeleteOnTermination remembered, DryRunOperation where moto ignores DryRun,
//  - injects faults: throttling, 5xx, delays, dropped connections, or one chosen error on the next call.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  type InstanceMetadataOptionsResponse,
} from '@aws-sdk/client-ec2';
import { DEV_CREDENTIALS } from './moto';

export interface Ec2CallEvent {
  action: string;
  params: Record<string, string>;
  status: number;
  durationMs: number;
  region: string;
  /** The answer's body (EC2 XML), for listeners that need e.g. the new AttachmentId. */
  body: string;
}

export interface FaultSettings {
  /** 0..1: share of calls answered with 400 RequestLimitExceeded. */
  throttleRate?: number;
  /** 0..1: share of calls answered with 500 InternalError or 503 Unavailable. */
  serverErrorRate?: number;
  /** Added before every affected call is handled. */
  delayMs?: number;
  /** 0..1: share of calls whose connection is destroyed without an answer. */
  dropRate?: number;
  /** Limit faults (and the delay) to these actions; all actions when absent. */
  actions?: string[];
  /** Makes the fault sequence reproducible. */
  seed?: number;
}

export interface Ec2ProxyOptions {
  /** moto's endpoint, e.g. http://127.0.0.1:5000 */
  target: string;
  /** AWS-strict behaviour; on by default. */
  strict?: boolean;
  host?: string;
  port?: number;
}

export interface Ec2Proxy {
  endpoint: string;
  /** Emits 'call' with an Ec2CallEvent after each answered call. */
  events: EventEmitter;
  /** Requests received per Action (including faulted ones) since start or the last reset. */
  counts(): Record<string, number>;
  resetCounts(): void;
  setFaults(faults: FaultSettings): void;
  clearFaults(): void;
  /** The next call of `action` gets this EC2 error instead of reaching moto (queued, one per call). */
  failNext(action: string, code: string, status?: number, message?: string): void;
  /**
   * Runs `hook` once EC2 has answered `action` but before the caller gets the answer: a crash test
   * kills the caller here, so EC2 did the work and the caller never heard. Returns an unregister function.
   */
  beforeAnswer(action: string, hook: (call: Ec2CallEvent) => Promise<void> | void): () => void;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface RequestContext {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  params: URLSearchParams;
  action: string;
  region: string;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startEc2Proxy(options: Ec2ProxyOptions): Promise<Ec2Proxy> {
  const target = options.target.replace(/\/+$/, '');
  const strict = options.strict ?? true;
  const events = new EventEmitter();
  events.setMaxListeners(0); // every simulated node listens
  let callCounts: Record<string, number> = {};
  let faults: FaultSettings = {};
  let random = Math.random;
  const failQueue = new Map<string, Array<{ code: string; status: number; message: string }>>();
  const answerHooks = new Map<string, Array<(call: Ec2CallEvent) => Promise<void> | void>>();
  const strictState = new StrictState(target);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = Date.now();
    const rawBody = await readBody(req);
    const params = new URLSearchParams(req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    if (req.method === 'POST' && rawBody.length > 0) for (const [k, v] of new URLSearchParams(rawBody)) params.append(k, v);
    const ctx: RequestContext = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      params,
      action: params.get('Action') ?? '',
      region: regionOf(req.headers.authorization),
    };
    if (ctx.action) callCounts[ctx.action] = (callCounts[ctx.action] ?? 0) + 1;

    let answer: Answer | undefined;
    const queued = failQueue.get(ctx.action)?.shift();
    if (queued) answer = errorAnswer(queued.status, queued.code, queued.message);
    else if (ctx.action && affects(faults, ctx.action)) {
      if (faults.delayMs) await sleep(faults.delayMs);
      const roll = random();
      const throttle = faults.throttleRate ?? 0;
      const server = throttle + (faults.serverErrorRate ?? 0);
      const drop = server + (faults.dropRate ?? 0);
      if (roll < throttle) answer = errorAnswer(400, 'RequestLimitExceeded', 'Request limit exceeded.');
      else if (roll < server) {
        answer = random() < 0.5
          ? errorAnswer(500, 'InternalError', 'An internal error has occurred.')
          : errorAnswer(503, 'Unavailable', 'The service is unavailable. Please try again shortly.');
      } else if (roll < drop) {
        req.socket.destroy();
        return;
      }
    }
    if (!answer) answer = strict ? await strictState.handle(ctx, rawBody) : await forward(target, ctx, rawBody);

    const event: Ec2CallEvent = {
      action: ctx.action,
      params: Object.fromEntries(params),
      status: answer.status,
      durationMs: Date.now() - started,
      region: ctx.region,
      body: answer.body,
    };
    for (const hook of [...(answerHooks.get(ctx.action) ?? [])]) await hook(event);
    res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
    if (ctx.action) events.emit('call', event);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // moto unreachable or a bug here: answer like AWS would, so clients retry instead of hanging.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const answer = errorAnswer(503, 'Unavailable', `eniflow EC2 proxy: ${err instanceof Error ? err.message : String(err)}`);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${host}:${port}`,
    events,
    counts: () => ({ ...callCounts }),
    resetCounts: () => {
      callCounts = {};
    },
    setFaults: (next) => {
      faults = { ...next };
      random = next.seed !== undefined ? mulberry32(next.seed) : Math.random;
    },
    clearFaults: () => {
      faults = {};
    },
    failNext: (action, code, status = 400, message = `Injected ${code} for ${action}.`) => {
      const queue = failQueue.get(action) ?? [];
      queue.push({ code, status, message });
      failQueue.set(action, queue);
    },
    beforeAnswer: (action, hook) => {
      answerHooks.set(action, [...(answerHooks.get(action) ?? []), hook]);
      return () => answerHooks.set(action, (answerHooks.get(action) ?? []).filter((h) => h !== hook));
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      strictState.destroy();
    },
  };
}

/** Actions whose DryRun moto ignores (checked with moto 5.2.5); the others it answers with DryRunOperation itself. */
const DRY_RUN_IGNORED_BY_MOTO = new Set(['ModifyInstanceMetadataOptions', 'DescribeSecurityGroups']);

/** The AWS behaviour moto lacks. State lives here, keyed by region like EC2's own. */
class StrictState {
  private readonly clients = new Map<string, EC2Client>();
  private readonly tokens = new Map<string, { fingerprint: string; answer: Answer }>();
  /** attachmentId → DeleteOnTermination as last set through ModifyNetworkInterfaceAttribute. */
  private readonly deleteOnTermination = new Map<string, boolean>();
  private readonly locks = new KeyedLock();

  constructor(private readonly target: string) {}

  async handle(ctx: RequestContext, rawBody: string): Promise<Answer> {
    // moto 5 performs these for real despite DryRun=true; EC2 answers 412 DryRunOperation when allowed.
    if (ctx.params.get('DryRun') === 'true' && DRY_RUN_IGNORED_BY_MOTO.has(ctx.action)) {
      return errorAnswer(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    }
    switch (ctx.action) {
      case 'CreateNetworkInterface':
        return this.create(ctx, rawBody);
      case 'AttachNetworkInterface':
        return this.attach(ctx, rawBody);
      case 'DeleteNetworkInterface':
        return this.delete(ctx, rawBody);
      case 'ModifyInstanceMetadataOptions':
        return this.modifyMetadata(ctx);
      case 'ModifyNetworkInterfaceAttribute':
        return this.modifyEni(ctx, rawBody);
      case 'DescribeNetworkInterfaces':
      case 'DescribeInstances':
        return this.withDeleteOnTermination(await forward(this.target, ctx, rawBody));
      default:
        return forward(this.target, ctx, rawBody);
    }
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
  }

  private client(region: string): EC2Client {
    let client = this.clients.get(region);
    if (!client) {
      client = new EC2Client({ region, endpoint: this.target, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
      this.clients.set(region, client);
    }
    return client;
  }

  /** Same ClientToken → the first answer again, and no second ENI (AWS idempotency). */
  private async create(ctx: RequestContext, rawBody: string): Promise<Answer> {
    const token = ctx.params.get('ClientToken');
    if (!token) return forward(this.target, ctx, rawBody);
    const key = `${ctx.region}|${token}`;
    const fingerprint = paramsFingerprint(ctx.params, ['ClientToken', 'Version']);
    return this.locks.run(key, async () => {
      const earlier = this.tokens.get(key);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          return errorAnswer(400, 'IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted or has different parameters.');
        }
        return earlier.answer;
      }
      const answer = await forward(this.target, ctx, rawBody);
      if (answer.status === 200) this.tokens.set(key, { fingerprint, answer });
      return answer;
    });
  }

  private async attach(ctx: RequestContext, rawBody: string): Promise<Answer> {
    const instanceId = ctx.params.get('InstanceId') ?? '';
    const eniId = ctx.params.get('NetworkInterfaceId') ?? '';
    const deviceIndex = Number(ctx.params.get('DeviceIndex'));
    // One attach per instance at a time, so two racing attaches cannot both pass the index check.
    return this.locks.run(`attach|${ctx.region}|${instanceId}`, async () => {
      const ec2 = this.client(ctx.region);
      const [onInstance, self] = await Promise.all([
        ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] })),
        ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [eniId] }] })),
      ]);
      const selfAttachment = self.NetworkInterfaces?.[0]?.Attachment;
      if (selfAttachment?.Status && selfAttachment.Status !== 'detached') {
        return errorAnswer(400, 'InvalidParameterValue', `Interface: [${eniId}] in use.`);
      }
      const taken = (onInstance.NetworkInterfaces ?? []).some(
        (n) => n.Attachment?.DeviceIndex === deviceIndex && n.Attachment.Status !== 'detached',
      );
      if (taken) {
        return errorAnswer(400, 'InvalidParameterValue', `Instance '${instanceId}' already has an interface attached at device index '${deviceIndex}'.`);
      }
      return forward(this.target, ctx, rawBody);
    });
  }

  private async delete(ctx: RequestContext, rawBody: string): Promise<Answer> {
    const eniId = ctx.params.get('NetworkInterfaceId') ?? '';
    const found = await this.client(ctx.region).send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [eniId] }] }),
    );
    const attachment = found.NetworkInterfaces?.[0]?.Attachment;
    if (attachment?.Status && attachment.Status !== 'detached') {
      return errorAnswer(400, 'InvalidNetworkInterface.InUse', `The interface ${eniId} is currently in use.`);
    }
    return forward(this.target, ctx, rawBody);
  }

  /** moto resets every field the request leaves out; AWS keeps them. Fill them in from the instance. */
  private async modifyMetadata(ctx: RequestContext): Promise<Answer> {
    const instanceId = ctx.params.get('InstanceId') ?? '';
    let current: InstanceMetadataOptionsResponse | undefined;
    try {
      const res = await this.client(ctx.region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      current = res.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
    } catch {
      // Unknown instance: let moto answer with its own NotFound.
    }
    const params = new URLSearchParams(ctx.params);
    const fill: Array<[string, string | number | undefined]> = [
      ['HttpTokens', current?.HttpTokens],
      ['HttpPutResponseHopLimit', current?.HttpPutResponseHopLimit],
      ['HttpEndpoint', current?.HttpEndpoint],
      ['HttpProtocolIpv6', current?.HttpProtocolIpv6],
      ['InstanceMetadataTags', current?.InstanceMetadataTags],
    ];
    for (const [name, value] of fill) if (!params.has(name) && value !== undefined) params.set(name, String(value));
    return forward(this.target, { ...ctx, params }, params.toString());
  }

  private async modifyEni(ctx: RequestContext, rawBody: string): Promise<Answer> {
    const answer = await forward(this.target, ctx, rawBody);
    const attachmentId = ctx.params.get('Attachment.AttachmentId');
    const value = ctx.params.get('Attachment.DeleteOnTermination');
    // moto 5.2.5 accepts this but keeps reporting false; remember it and answer truthfully.
    if (answer.status === 200 && attachmentId && value !== null) this.deleteOnTermination.set(attachmentId, value === 'true');
    return answer;
  }

  private withDeleteOnTermination(answer: Answer): Answer {
    if (answer.status !== 200 || this.deleteOnTermination.size === 0) return answer;
    const body = answer.body.replace(/<attachment>([\s\S]*?)<\/attachment>/g, (block, inner: string) => {
      const id = inner.match(/<attachmentId>([^<]+)<\/attachmentId>/)?.[1];
      const remembered = id !== undefined ? this.deleteOnTermination.get(id) : undefined;
      if (remembered === undefined) return block;
      return `<attachment>${inner.replace(/<deleteOnTermination>(true|false)<\/deleteOnTermination>/, `<deleteOnTermination>${remembered}</deleteOnTermination>`)}</attachment>`;
    });
    return { ...answer, body };
  }
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect', 'upgrade', 'proxy-connection', 'te']);

async function forward(target: string, ctx: RequestContext, body: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const hasBody = ctx.method !== 'GET' && ctx.method !== 'HEAD';
  const res = await fetch(`${target}${ctx.url}`, { method: ctx.method, headers, body: hasBody ? body : undefined });
  const text = await res.text();
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
  });
  return { status: res.status, headers: out, body: text };
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** EC2's Query API error format, which the SDK turns into an error whose name is the code. */
export function ec2ErrorXml(code: string, message: string, requestId: string = randomUUID()): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  );
}

function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: ec2ErrorXml(code, message) };
}

function affects(faults: FaultSettings, action: string): boolean {
  const active = Boolean(faults.delayMs || faults.throttleRate || faults.serverErrorRate || faults.dropRate);
  return active && (!faults.actions || faults.actions.includes(action));
}

/** SigV4's credential scope names the region: Credential=AKID/20240101/eu-west-1/ec2/aws4_request. */
function regionOf(authorization: string | undefined): string {
  return authorization?.match(/Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//)?.[1] ?? 'us-east-1';
}

function paramsFingerprint(params: URLSearchParams, ignore: string[]): string {
  return [...params].filter(([k]) => !ignore.includes(k)).map(([k, v]) => `${k}=${v}`).sort().join('&');
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Small seeded PRNG so a fault run can be repeated exactly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs tasks with the same key one after another; different keys run in parallel. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
