#!/usr/bin/env node
// A local OpenID Connect identity provider for browser tests of Lägesbild's sign-in.
// TEST ONLY: it signs in whoever asks, without a password, as the configured user.
//
//   node start.mjs [--port 9400] [--host 127.0.0.1] [--email anna@example.se]
//                  [--name "Anna Analytiker"] [--sub anna] [--groups a,b]
//                  [--group-claim groups]
//
// Every option may also come from the environment: OIDC_PORT, OIDC_HOST, OIDC_EMAIL,
// OIDC_NAME, OIDC_SUB, OIDC_GROUPS (comma-separated), OIDC_GROUP_CLAIM.
// The user can be changed while the server runs (for a test that signs in as several users):
//   curl -X POST -H 'content-type: application/json' \
//        -d '{"email":"bo@example.se","groups":["lagesbild-beredningsgrupp"]}' \
//        http://127.0.0.1:9400/_test/user
// GET /_test/user shows the current user. The server prints one line "OIDC_READY <issuer>"
// when it listens, and stops on SIGTERM or SIGINT.

import http from 'node:http';
import { parseArgs } from 'node:util';

import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    sub: { type: 'string' },
    groups: { type: 'string' },
    'group-claim': { type: 'string' },
  },
});

const env = process.env;
const port = Number(args.port ?? env.OIDC_PORT ?? 9400);
const host = args.host ?? env.OIDC_HOST ?? '127.0.0.1';
const groupClaim = args['group-claim'] ?? env.OIDC_GROUP_CLAIM ?? 'groups';

function splitGroups(text) {
  return (text ?? '').split(',').map((g) => g.trim()).filter(Boolean);
}

let user = {
  sub: args.sub ?? env.OIDC_SUB ?? 'anna',
  email: args.email ?? env.OIDC_EMAIL ?? 'anna.analytiker@example.se',
  name: args.name ?? env.OIDC_NAME ?? 'Anna Analytiker',
  groups: splitGroups(args.groups ?? env.OIDC_GROUPS ?? 'lagesbild-analytiker'),
};

function claims() {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: true,
    name: user.name,
    preferred_username: user.email,
    [groupClaim]: user.groups,
  };
}

const issuer = new OAuth2Issuer();
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);

// The ID token (and the access token) carry the configured user's claims.
service.on('beforeTokenSigning', (token) => {
  Object.assign(token.payload, claims());
});
service.on('beforeUserinfo', (response) => {
  response.body = claims();
});

const handler = service.requestHandler;

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) reject(new Error('too large'));
    });
    req.on('end', () => {
      try {
        resolve(body ? JSON.parse(body) : {});
      } catch (error) {
        reject(error);
      }
    });
  });
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/_test/user') {
    if (req.method === 'POST') {
      try {
        const next = await readJson(req);
        const groups = Array.isArray(next.groups) ? next.groups : splitGroups(next.groups);
        user = { ...user, ...next, groups: next.groups === undefined ? user.groups : groups };
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid JSON' }));
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(claims()));
    return;
  }
  handler(req, res);
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, resolve);
});
const bound = server.address().port;
issuer.url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
console.log(`OIDC_READY ${issuer.url}`);

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
