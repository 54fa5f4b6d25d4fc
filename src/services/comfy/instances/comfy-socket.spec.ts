import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ComfyWsMessage } from '../comfy.types';
import { ComfySocket } from './comfy-socket';

function frame(type: number, second: number, rest: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(type, 0);
  header.writeUInt32BE(second, 4);
  return Buffer.concat([header, rest]);
}

describe(ComfySocket.name, () => {
  let wss: WebSocketServer;
  let url: string;
  const clients: { ws: WebSocket; path: string }[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws, req) => {
      clients.push({ ws, path: req.url ?? '' });
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'x' } }));
    });
  });
  afterAll(() => new Promise((r) => wss.close(r)));

  it('should parse JSON messages and both binary preview frame types, and reconnect with the same client id', async () => {
    const messages: ComfyWsMessage[] = [];
    const previews: { mime: string; bytes: string }[] = [];
    const states: boolean[] = [];
    const socket = new ComfySocket(
      'i',
      url,
      'fennec-1',
      { minMs: 10, maxMs: 20 },
      {
        message: (m) => messages.push(m),
        preview: (image, mime) => previews.push({ mime, bytes: image.toString() }),
        connection: (up) => states.push(up),
      },
    );
    socket.start();
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise((r) => setTimeout(r, 5));
    };
    await until(() => socket.connected);
    const ws = clients[0].ws;
    expect(clients[0].path).toBe('/ws?clientId=fennec-1');
    ws.send(frame(1, 1, Buffer.from('jpeg-bytes')));
    const meta = Buffer.from(JSON.stringify({ image_type: 'image/png', node_id: '3' }));
    ws.send(Buffer.concat([frame(4, meta.length, Buffer.alloc(0)), meta, Buffer.from('png-bytes')])); // type 4: metadata length, metadata JSON, image
    ws.send(frame(3, 0, Buffer.from('text frames are ignored')));
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'progress', data: { prompt_id: 'p', node: '3', value: 1, max: 2 } }));
    await until(() => messages.length === 2 && previews.length === 2);
    expect(previews).toEqual([
      { mime: 'image/jpeg', bytes: 'jpeg-bytes' },
      { mime: 'image/png', bytes: 'png-bytes' },
    ]);
    ws.terminate();
    await until(() => clients.length === 2 && socket.connected);
    expect(clients[1].path).toBe('/ws?clientId=fennec-1');
    expect(states).toEqual([true, false, true]);
    socket.stop();
    expect(states).toEqual([true, false, true, false]);
  });
});
