// A WebSocket message as a capture point saw it on an upgraded connection: one row of the companion table
// "CCProxy_WebSocketMessages" (trace_id, seq, direction, at, opcode, size, payload, truncated). The capture
// side produces these; the trace writer stores them beside the upgrade's row in "CCProxy_HttpTraces".

export const WS_CLIENT_TO_SERVER = 0;
export const WS_SERVER_TO_CLIENT = 1;

export interface WsMessage {
  /** Per connection, from 0, in the order the capture point saw the messages (both directions together). */
  seq: number;
  /** 0: client → server, 1: server → client. */
  direction: 0 | 1;
  /** When the message's last frame was seen. */
  at: Date;
  /** The message's opcode: 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** Bytes of the message on the wire (frame headers included). */
  size: number;
  /** The payload as stored: decoded (permessage-deflate inflated), redacted, bounded by max_body_size. */
  payload: Uint8Array | null;
  /** The stored payload was cut at the limit. */
  truncated: boolean;
}
