'use strict';
// product-service: a small upstream for the sluice demo. Routed by sluice as /products.
//   GET /products      -> JSON list of products
//   GET /products/:id  -> one product, or 404
// PORT (default 3002) and HOST (default 0.0.0.0) come from the environment.
const express = require('express');

const PORT = Number(process.env.PORT || 3002);
const HOST = process.env.HOST || '0.0.0.0';
const NAME = 'product-service';

const products = [
  { id: 1, name: 'Mechanical keyboard', price: 89.0, currency: 'EUR' },
  { id: 2, name: 'USB-C dock', price: 129.5, currency: 'EUR' },
  { id: 3, name: '27" monitor', price: 249.99, currency: 'EUR' },
];

const app = express();
app.disable('x-powered-by');

// One log line per request, written when the response is finished.
app.use((req, res, next) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`${new Date().toISOString()} ${NAME} ${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  next();
});

app.get('/products', (req, res) => {
  res.json(products);
});

app.get('/products/:id', (req, res) => {
  const product = products.find((p) => String(p.id) === req.params.id);
  if (!product) {
    res.status(404).json({ message: `product ${req.params.id} not found` });
    return;
  }
  res.json(product);
});

app.use((req, res) => {
  res.status(404).json({ message: 'Not Found' });
});

const server = app.listen(PORT, HOST);
server.on('listening', () => {
  console.log(`${NAME} listening on http://${HOST}:${PORT}`);
});
server.on('error', (err) => {
  console.error(`${NAME}: cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});

// Stop accepting, close idle keep-alive connections (a gateway keeps some open) and exit.
function shutdown(signal) {
  console.log(`${NAME}: ${signal} received, shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
