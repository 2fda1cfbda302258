// A real OpenID provider for tests/integration/test_oidc.py: npm
// oidc-provider (OpenID-certified), on a loopback port, with one
// confidential client for Convene and a test account store.
//
//   node oidc_provider.mjs --port P --redirect-uri URI --client-id ID
//        --client-secret S --accounts FILE
//
// FILE is JSON: {"ACCOUNT_ID": {claims...}}; the account id is the `sub`.
// It prints "ready ISSUER" on stdout when listening.
//
// The login is non-interactive: GET /interaction/UID (where the provider
// sends the browser) signs in as the account named by the last
// POST /__test/next-login {"account": ID}, and consent is pre-agreed
// (loadExistingGrant), as for a council's own first-party app.
//
// Test controls, POST /__test/... with a JSON body (loopback only; none of
// this exists in a real provider):
//   next-login {account}      whom the next interaction signs in
//   accounts {ID: claims}     replace the account store (e.g. drop a group)
//   rotate {alg}              restart the provider with a new signing key
//                             (new kid; the old key is no longer published);
//                             alg "ES256" makes it a P-256 key and has
//                             id_tokens signed with ES256 (default RS256)
//   clock {offset}            seconds added to the provider's clock while it
//                             answers the token endpoint (offset -4000:
//                             tokens issued already expired)
//   tamper {mode}             an attacker in front of the real provider,
//                             rewriting the id_token of the next token
//                             response: "aud" (re-signed with the real key
//                             but for another client), "sig" (signature
//                             bytes changed), "none" (alg none, unsigned),
//                             "hs256" (HMAC keyed with the public key),
//                             "" (off)
import { createServer } from 'node:http';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;
let accounts = JSON.parse(readFileSync(args.accounts, 'utf8'));
let nextLogin = null;
let clockOffset = 0;
let tamper = '';
let key = newKey();
let provider = makeProvider(key);

function newKey(alg = 'RS256') {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  jwk.kid = `k-${randomBytes(6).toString('hex')}`;
  jwk.alg = alg;
  jwk.use = 'sig';
  return { jwk, privateKey, alg };
}

function b64u(buf) {
  return Buffer.from(buf).toString('base64url');
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The attacker's rewrite of a genuine id_token.
function rewrite(idToken, mode) {
  const [h, p, s] = idToken.split('.');
  const header = decodePart(h);
  const payload = decodePart(p);
  if (mode === 'sig') {
    const sig = Buffer.from(s, 'base64url');
    sig[10] ^= 0xff;
    return `${h}.${p}.${b64u(sig)}`;
  }
  if (mode === 'none')
    return `${b64u(JSON.stringify({ alg: 'none', kid: header.kid }))}.${p}.`;
  if (mode === 'hs256') {
    const hh = b64u(JSON.stringify({ alg: 'HS256', kid: header.kid, typ: 'JWT' }));
    const pub = JSON.stringify({ kty: 'RSA', n: key.jwk.n, e: key.jwk.e });
    const mac = createHmac('sha256', pub).update(`${hh}.${p}`).digest();
    return `${hh}.${p}.${b64u(mac)}`;
  }
  if (mode === 'aud') {
    payload.aud = 'another-client';
    delete payload.azp;
    const pp = b64u(JSON.stringify(payload));
    // JOSE wants ECDSA signatures as r||s, not DER.
    const sig = sign('sha256', Buffer.from(`${h}.${pp}`),
      { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${h}.${pp}.${b64u(sig)}`;
  }
  return idToken;
}

function makeProvider(k) {
  const p = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: k.alg,
    }],
    jwks: { keys: [k.jwk] },
    cookies: { keys: ['test-cookie-key-not-secret'] },
    pkce: { required: () => true },
    // Claims of the granted scopes go into the id_token itself, as Entra
    // ID does with optional claims; Convene does not call userinfo.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'groups', 'department'],
    },
    ttl: { AuthorizationCode: 600, IdToken: 3600, Interaction: 600,
      Session: 600, Grant: 600, AccessToken: 600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (ctx, id) => {
      if (!accounts[id])
        return undefined;
      return { accountId: id,
        claims: () => ({ sub: id, ...accounts[id] }) };
    },
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  p.proxy = false;
  p.use(async (ctx, next) => {
    if (ctx.path.startsWith('/__test/'))
      return control(ctx);
    if (ctx.path.startsWith('/interaction/'))
      return interaction(ctx, p);
    if (ctx.path !== '/token')
      return next();
    const real = Date.now;
    if (clockOffset !== 0)
      Date.now = () => real() + clockOffset * 1000;
    try {
      await next();
    } finally {
      Date.now = real;
    }
    if (tamper && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: rewrite(ctx.body.id_token, tamper) };
      tamper = '';
    }
  });
  return p;
}

async function readJson(ctx) {
  const chunks = [];
  for await (const c of ctx.req)
    chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

async function control(ctx) {
  const body = await readJson(ctx);
  const what = ctx.path.slice('/__test/'.length);
  if (what === 'next-login')
    nextLogin = body.account;
  else if (what === 'accounts')
    accounts = body;
  else if (what === 'clock')
    clockOffset = Number(body.offset) || 0;
  else if (what === 'tamper')
    tamper = body.mode || '';
  else if (what === 'rotate') {
    key = newKey(body.alg);
    provider = makeProvider(key);
  } else {
    ctx.status = 404;
    return;
  }
  ctx.body = { ok: true, kid: key.jwk.kid, alg: key.alg };
}

async function interaction(ctx, p) {
  const details = await p.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name !== 'login' || !nextLogin) {
    ctx.status = 400;
    ctx.body = { error: 'no login queued' };
    return;
  }
  const result = { login: { accountId: nextLogin } };
  nextLogin = null;
  await p.interactionFinished(ctx.req, ctx.res, result,
    { mergeWithLastSubmission: false });
  ctx.respond = false;
}

createServer((req, res) => provider.callback()(req, res))
  .listen(port, '127.0.0.1', () => {
    process.stdout.write(`ready ${issuer}\n`);
  });
