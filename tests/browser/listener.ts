/**
 * A listener for leaks: a TCP port on 127.0.0.1 that records every
 * connection made to it — HTTP, WebSocket, TLS or anything else — before it
 * reads a byte. It answers HTTP with a small script (served to any origin)
 * and completes WebSocket handshakes, so a request that gets through would
 * succeed rather than fail early. Tests assert that hostile cells make zero
 * connections, and make one themselves from the page (outside the sandbox)
 * to show that the listener does see what reaches it.
 *
 * @module
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const BODY = "self.__podnetLeak = 1; export default 1;\n";

async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A running leak listener. */
export class LeakListener implements AsyncDisposable {
  /** One entry per connection: the first line of its request, or `(no request)`. */
  readonly connections: string[] = [];
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #open = new Set<Deno.Conn>();
  readonly #done: Promise<void>;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#done = this.#accept();
  }

  /** `http://127.0.0.1:PORT` */
  get http(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `ws://127.0.0.1:PORT` */
  get ws(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async #accept() {
    try {
      for await (const conn of this.#listener) {
        const index = this.connections.push("(no request)") - 1;
        this.#open.add(conn);
        this.#serve(conn, index).finally(() => this.#open.delete(conn));
      }
    } catch {
      // closed
    }
  }

  async #serve(conn: Deno.Conn, index: number) {
    try {
      const buffer = new Uint8Array(16_384);
      let head = "";
      const until = Date.now() + 2_000;
      while (!head.includes("\r\n\r\n") && Date.now() < until) {
        const n = await conn.read(buffer);
        if (n === null) break;
        head += new TextDecoder().decode(buffer.subarray(0, n));
      }
      this.connections[index] = head.split("\r\n")[0] || "(no request)";
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1];
      const reply = key
        ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${await acceptKey(key)}\r\n\r\n`
        : "HTTP/1.1 200 OK\r\ncontent-type: text/javascript\r\naccess-control-allow-origin: *\r\n" +
          `content-length: ${BODY.length}\r\nconnection: close\r\n\r\n${BODY}`;
      await conn.write(new TextEncoder().encode(reply));
    } catch {
      // the other side went away
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await this.#done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
