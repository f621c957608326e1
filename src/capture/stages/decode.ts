// Stage `decode`, at the end of each body: the bounded copy becomes the body as stored — decompressed when it
// came encoded (on zlib's threads, never past the body limit), else as it came — and says whether it was cut.
// Nothing when bodies are not captured.
import { decodeBody } from '../decode.js';
import type { FlowRequest, FlowResponse } from '../../flow/flow.js';
import type { BodyCopy } from '../../flow/body-copy.js';
import { firstHeader, type Capture, type RawHeaders, type Stage } from '../stage.js';

function decodeInto(part: FlowRequest | FlowResponse, headers: RawHeaders, copy: BodyCopy, limit: number): void | Promise<void> {
  const encoding = firstHeader(headers, 'content-encoding');
  // The copy already stops at the limit: a body sent as it is needs no decoding step.
  if (!encoding || encoding.toLowerCase() === 'identity') {
    part.body = copy.bytes();
    part.bodyTruncated = copy.truncated;
    return;
  }
  return decodeBody(copy.bytes(), encoding, limit).then((d) => {
    part.body = d.body;
    part.bodyTruncated = copy.truncated || d.truncated;
  });
}

export const decodeStage: Stage = {
  name: 'decode',
  requestBody({ flow, settings, requestHeaders, requestCopy }: Capture) {
    if (!settings.captureBodies || !requestCopy) return;
    return decodeInto(flow.request, requestHeaders, requestCopy, settings.bodyLimit);
  },
  responseEnd({ flow, settings, responseHeaders, responseCopy }: Capture) {
    if (!settings.captureBodies || !responseCopy || !responseHeaders || !flow.response) return;
    return decodeInto(flow.response, responseHeaders, responseCopy, settings.bodyLimit);
  },
};
