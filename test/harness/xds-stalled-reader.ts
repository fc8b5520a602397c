/**
 * An ADS client that never reads: it opens a plain TCP connection, writes the HTTP/2 preface,
 * a SETTINGS frame with a small stream window, one gRPC stream's HEADERS and its SotW requests,
 * then pauses the socket and never reads a byte. Nothing on this side consumes the server's
 * frames, so no WINDOW_UPDATE or SETTINGS ACK ever goes back: once `windowBytes` of DATA are
 * sent, every later response the server writes for it stays in the server's buffers. That is
 * the proxy that hangs with its connection open, which grpc-js cannot imitate (its client
 * reads the socket even when the application does not). Loopback only.
 */
import { connect, type Socket } from "node:net";
import { messageType } from "../../xds/encode/proto-root";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME = { data: 0x0, headers: 0x1, settings: 0x4 } as const;
const END_HEADERS = 0x4;
const SETTINGS = { enablePush: 0x2, initialWindowSize: 0x4 } as const;
const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

/** One HTTP/2 frame: 9-byte header, then the payload. */
function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  // The default SETTINGS_MAX_FRAME_SIZE; this client sends no CONTINUATION or split DATA.
  if (payload.length > 16_384) throw new Error(`frame of ${payload.length} bytes: over 16384`);
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK "literal header field without indexing, new name", no Huffman (RFC 7541 §6.2.2). */
function literalHeader(name: string, value: string): Buffer {
  const length = (s: string): Buffer => {
    if (s.length >= 127) throw new Error(`header ${name}: longer than this encoder supports`);
    return Buffer.from([s.length]);
  };
  return Buffer.concat([
    Buffer.from([0x00]),
    length(name),
    Buffer.from(name, "latin1"),
    length(value),
    Buffer.from(value, "latin1"),
  ]);
}

/** One gRPC length-prefixed message (uncompressed). */
function grpcMessage(body: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** Options of a stalled reader. */
export interface StalledReaderOptions {
  /** Server port on 127.0.0.1. */
  readonly port: number;
  /** Node id of the first request. */
  readonly nodeId: string;
  /** SotW subscriptions to request, by type URL (an empty list is a wildcard). */
  readonly subscriptions: ReadonlyMap<string, readonly string[]>;
  /** Stream flow-control window announced to the server, in bytes. @default 1024 */
  readonly windowBytes?: number;
}

/** A client that sends its requests and then never reads its connection. */
export class StalledReader {
  readonly #socket: Socket;
  /** Set when the connection failed or closed (e.g. the server went away). */
  closed = false;

  constructor(options: StalledReaderOptions) {
    const socket = connect({ host: "127.0.0.1", port: options.port });
    this.#socket = socket;
    // Paused before any data can arrive, and never resumed: no 'data' listener, no read().
    socket.pause();
    socket.on("error", () => (this.closed = true));
    socket.on("close", () => (this.closed = true));

    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTINGS.enablePush, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS.initialWindowSize, 6);
    settings.writeUInt32BE(options.windowBytes ?? 1024, 8);
    const headers = Buffer.concat([
      literalHeader(":method", "POST"),
      literalHeader(":scheme", "http"),
      literalHeader(":path", ADS_PATH),
      literalHeader(":authority", `127.0.0.1:${options.port}`),
      literalHeader("content-type", "application/grpc"),
      literalHeader("te", "trailers"),
    ]);
    const request = messageType("envoy.service.discovery.v3.DiscoveryRequest");
    const bodies = [...options.subscriptions].map(([typeUrl, names], i) =>
      grpcMessage(
        request
          .encode({
            type_url: typeUrl,
            resource_names: [...names],
            ...(i === 0 ? { node: { id: options.nodeId, user_agent_name: "stalled" } } : {}),
          })
          .finish(),
      ),
    );
    socket.write(
      Buffer.concat([
        PREFACE,
        frame(FRAME.settings, 0, 0, settings),
        frame(FRAME.headers, END_HEADERS, 1, headers),
        ...bodies.map(body => frame(FRAME.data, 0, 1, body)),
      ]),
    );
  }

  /** Drops the connection. */
  close(): void {
    this.#socket.destroy();
    this.closed = true;
  }
}
