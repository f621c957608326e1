// Where a capture point hands its flows: one call per moment of the exchange, each with the flow as known by
// then. The store implements it (the trace writer, mapping flows to rows in store/flow-row.ts); capture code
// knows only this interface. A sink never waits and never throws at the capture point.
import type { Flow } from './flow.js';
import type { WsMessage } from './websocket.js';

export interface FlowSink {
  /** The request's head has been seen: request line, headers, client, classification, session. */
  requestStarted(flow: Flow): void;
  /** The request's body has ended (or was cut): the body as stored, its size, a session id it carried. */
  requestEnded(flow: Flow): void;
  /** An upgrade was answered (101): the response's head, before the connection's messages. */
  responseStarted(flow: Flow): void;
  /** The response ended or the exchange failed: response, error and timing. */
  responseEnded(flow: Flow): void;
  /**
   * The stages that run after the response has gone out have read it (its LLM calls, on the flow's metadata): a
   * turn or more after responseEnded, and the flow's last call when there is one.
   */
  responseRead?(flow: Flow): void;
  /** One message of an upgraded (WebSocket) connection whose upgrade is the flow `flowId`. */
  wsMessage?(flowId: string, message: WsMessage): void;
}
