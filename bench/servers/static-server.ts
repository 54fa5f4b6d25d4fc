import express from 'express';

/** The baseline of bench/images.bench.ts: `express.static` over STATIC_DIR, nothing else. */
const app = express();
app.use(express.static(process.env.STATIC_DIR ?? '.', { immutable: true, maxAge: '1y' }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
