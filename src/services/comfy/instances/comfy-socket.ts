import { Logger } from '@nestjs/common';
import WebSocket from 'ws';
import {
  BINARY_PREVIEW_IMAGE,
  BINARY_PREVIEW_IMAGE_WITH_METADATA,
  type ComfyWsMessage,
  PREVIEW_FORMATS,
} from '../comfy.types';

export interface ComfySocketEvents {
  message(message: ComfyWsMessage): void;
  /** A preview image (binary frame) with its MIME type. */
  preview(image: Buffer, mime: string): void;
  /** Connected (after the first `status`) or lost. */
  connection(connected: boolean): void;
}

/**
 * The one WebSocket to one ComfyUI server (`/ws?clientId=…`), kept open for as long as the
 * service runs: ComfyUI sends a prompt's progress only to the client id that submitted it, so all
 * of Fennec's prompts on that server share this client id and this socket. A dropped socket is
 * reopened with full-jitter exponential backoff; reusing the client id makes ComfyUI resend the
 * node running now (server.py `websocket_handler`).
 */
export class ComfySocket {
  private readonly logger = new Logger('comfy');
  private ws?: WebSocket;
  private stopped = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  connected = false;

  constructor(
    readonly instanceId: string,
    private readonly baseUrl: string,
    readonly clientId: string,
    private readonly backoff: { minMs: number; maxMs: number },
    private readonly on: ComfySocketEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => undefined);
    this.ws?.terminate();
    this.ws = undefined;
    this.setConnected(false);
  }

  private open(): void {
    const url = new URL(`/ws?clientId=${encodeURIComponent(this.clientId)}`, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
    this.ws = ws;
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('open', () => {
      this.failures = 0;
    });
    ws.on('error', () => undefined); // 'close' follows and reconnects
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.setConnected(false);
      this.reconnect();
    });
  }

  private reconnect(): void {
    if (this.stopped) return;
    this.failures++;
    const cap = Math.min(this.backoff.maxMs, this.backoff.minMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = this.backoff.minMs / 2 + Math.random() * (cap - this.backoff.minMs / 2);
    this.timer = setTimeout(() => this.open(), delay);
    this.timer.unref();
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.receiveBinary(data);
    let message: ComfyWsMessage;
    try {
      message = JSON.parse(data.toString('utf8')) as ComfyWsMessage;
    } catch {
      this.logger.warn({ instance: this.instanceId }, 'ComfyUI sent a WebSocket message that is not JSON');
      return;
    }
    if (typeof message?.type !== 'string') return;
    // The first `status` after connecting says the server registered our client id.
    if (message.type === 'status' && !this.connected) this.setConnected(true);
    this.on.message(message);
  }

  /** server.py `encode_bytes`: a big-endian uint32 event type, then the payload. */
  private receiveBinary(data: Buffer): void {
    if (data.length < 8) return;
    const event = data.readUInt32BE(0);
    if (event === BINARY_PREVIEW_IMAGE) {
      const mime = PREVIEW_FORMATS[data.readUInt32BE(4)];
      if (mime) this.on.preview(data.subarray(8), mime);
    } else if (event === BINARY_PREVIEW_IMAGE_WITH_METADATA) {
      const length = data.readUInt32BE(4);
      if (8 + length > data.length) return;
      try {
        const meta = JSON.parse(data.subarray(8, 8 + length).toString('utf8')) as { image_type?: string };
        this.on.preview(data.subarray(8 + length), meta.image_type ?? 'image/png');
      } catch {
        return;
      }
    }
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.on.connection(connected);
  }
}
