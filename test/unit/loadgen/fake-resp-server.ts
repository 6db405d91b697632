// A tiny RESP server for the load generator's tests: it answers GET, SET, VGET and VPUT from a
// Map, injects error replies on a schedule, can close each connection after a number of
// replies, and counts everything it saw, so a test can compare the generator's counts to it.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** Splits RESP command arrays (of bulk strings) off the front of `buffer`. */
export function decodeCommands(buffer: Buffer): { commands: Buffer[][]; rest: Buffer } {
  const commands: Buffer[][] = [];
  let at = 0;
  const line = (from: number): [string, number] | undefined => {
    const end = buffer.indexOf('\r\n', from);
    return end === -1 ? undefined : [buffer.toString('latin1', from, end), end + 2];
  };
  for (;;) {
    const header = line(at);
    if (header === undefined) break;
    if (!header[0].startsWith('*')) throw new Error(`not a command array: ${header[0]}`);
    const count = Number(header[0].slice(1));
    let next = header[1];
    const args: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const bulk = line(next);
      if (bulk === undefined) break;
      if (!bulk[0].startsWith('$')) throw new Error(`not a bulk string: ${bulk[0]}`);
      const length = Number(bulk[0].slice(1));
      if (buffer.length < bulk[1] + length + 2) break;
      args.push(buffer.subarray(bulk[1], bulk[1] + length));
      next = bulk[1] + length + 2;
    }
    if (args.length < count) break;
    commands.push(args);
    at = next;
  }
  return { commands, rest: buffer.subarray(at) };
}

export interface FakeServerOptions {
  /** Every k-th command of that name (counted over all connections) gets `-WORD injected`. */
  inject?: Partial<Record<'GET' | 'SET' | 'VGET' | 'VPUT', { every: number; word: string }>>;
  /** Close each connection after this many replies (and ignore what it sends afterwards). */
  closeAfterReplies?: number;
  /** Answer VGET and VPUT (as ringkv does); otherwise they are unknown commands. */
  dynamo?: boolean;
}

export class FakeRespServer {
  readonly commands = new Map<string, number>();
  readonly injected = new Map<string, number>();
  replies = 0;
  nullReplies = 0;
  /** VPUTs whose context this server never issued for that key. */
  foreignContexts = 0;
  private readonly store = new Map<string, Buffer>();
  private readonly issued = new Map<string, Set<string>>();
  private contextCounter = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: FakeServerOptions = {}) {
    this.server = createServer((socket) => this.serve(socket));
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  count(name: string): number {
    return this.commands.get(name) ?? 0;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let pending = Buffer.alloc(0);
    let answered = 0;
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      const { commands, rest } = decodeCommands(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      const out: string[] = [];
      for (const args of commands) {
        out.push(this.answer(args));
        answered++;
        if (answered === this.options.closeAfterReplies) {
          closed = true;
          break;
        }
      }
      socket.write(out.join(''));
      if (closed) socket.end();
    });
  }

  private injection(name: string): string | undefined {
    const count = (this.commands.get(name) ?? 0) + 1;
    this.commands.set(name, count);
    const rule = this.options.inject?.[name as 'GET'];
    if (rule === undefined || count % rule.every !== 0) return undefined;
    this.injected.set(rule.word, (this.injected.get(rule.word) ?? 0) + 1);
    return `-${rule.word} injected by the test server\r\n`;
  }

  private answer(args: Buffer[]): string {
    this.replies++;
    const name = (args[0] as Buffer).toString('latin1').toUpperCase();
    const key = args[1]?.toString('latin1') ?? '';
    const dynamo = this.options.dynamo === true;
    if (!['GET', 'SET'].includes(name) && !(dynamo && ['VGET', 'VPUT'].includes(name))) {
      this.commands.set(name, (this.commands.get(name) ?? 0) + 1);
      return `-ERR unknown command '${name}'\r\n`;
    }
    const injected = this.injection(name);
    if (injected !== undefined) return injected;
    const value = this.store.get(key);
    switch (name) {
      case 'GET':
        if (value === undefined) this.nullReplies++;
        return value === undefined ? '$-1\r\n' : `$${value.length}\r\n${value.toString('latin1')}\r\n`;
      case 'SET':
        this.store.set(key, args[2] as Buffer);
        return '+OK\r\n';
      case 'VGET': {
        if (value === undefined) return '*0\r\n';
        const context = `ctx${++this.contextCounter}`;
        const issued = this.issued.get(key) ?? new Set<string>();
        issued.add(context);
        this.issued.set(key, issued);
        return `*2\r\n$${context.length}\r\n${context}\r\n$${value.length}\r\n${value.toString('latin1')}\r\n`;
      }
      default: {
        const context = (args[2] as Buffer).toString('latin1');
        if (context !== '' && !this.issued.get(key)?.has(context)) this.foreignContexts++;
        this.store.set(key, args[3] as Buffer);
        return `+ctx${++this.contextCounter}\r\n`;
      }
    }
  }
}
