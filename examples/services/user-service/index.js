'use strict';
// user-service: a small upstream for the sluice demo. Routed by sluice as /users.
//   GET /users      -> JSON list of users
//   GET /users/:id  -> one user, or 404
// PORT (default 3001) and HOST (default 0.0.0.0) come from the environment.
const express = require('express');

const PORT = Number(process.env.PORT || 3001);
const HOST = process.env.HOST || '0.0.0.0';
const NAME = 'user-service';

const users = [
  { id: 1, name: 'Alice Martin', email: 'alice@example.com' },
  { id: 2, name: 'Bob Chen', email: 'bob@example.com' },
  { id: 3, name: 'Carol Diaz', email: 'carol@example.com' },
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

app.get('/users', (req, res) => {
  res.json(users);
});

app.get('/users/:id', (req, res) => {
  const user = users.find((u) => String(u.id) === req.params.id);
  if (!user) {
    res.status(404).json({ message: `user ${req.params.id} not found` });
    return;
  }
  res.json(user);
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
