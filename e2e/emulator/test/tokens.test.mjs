// Session tokens from the emulator, checked by Clerk's own Node verifier
// (@clerk/backend verifyToken, networkless with the PEM public key). The FAPI
// calls here are made as a native client (no Origin), as the app's Go gateway does.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verifyToken } from '@clerk/backend';
import { startEmulator } from '../lib/emulator.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu?.stop(); });

/** A minimal native FAPI client: form bodies, _is_native=1, the client token in Authorization. */
function nativeClient({ origin } = {}) {
  let token = null;
  return {
    token: () => token,
    async call(method, path, form) {
      const url = new URL(`${emu.frontend_api_url}/v1${path}`);
      url.searchParams.set('_is_native', '1');
      if (method !== 'GET' && method !== 'POST') url.searchParams.set('_method', method);
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      if (token) headers.authorization = token;
      if (origin) headers.origin = origin;
      const res = await fetch(url, { method: method === 'GET' ? 'GET' : 'POST', headers, body: form ? new URLSearchParams(form) : undefined });
      const rotated = res.headers.get('authorization');
      if (rotated) token = rotated;
      const body = await res.json();
      if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`), { status: res.status, body });
      return body;
    },
  };
}

async function signIn(client, user) {
  const si = await client.call('POST', '/client/sign_ins', { identifier: user.email });
  let done = await client.call('POST', `/client/sign_ins/${si.response.id}/attempt_first_factor`, { strategy: 'password', password: user.password });
  if (done.response.status === 'needs_client_trust') { // a new client: Client Trust's emailed code
    await client.call('POST', `/client/sign_ins/${si.response.id}/prepare_second_factor`, { strategy: 'email_code' });
    const code = await emu.waitForCode(user.email);
    done = await client.call('POST', `/client/sign_ins/${si.response.id}/attempt_second_factor`, { strategy: 'email_code', code });
  }
  assert.equal(done.response.status, 'complete');
  return done.response.created_session_id;
}

const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

describe('@clerk/backend verifyToken accepts the emulator\'s session tokens', () => {
  test('the JWKS key and the ready-file PEM are the same 2048-bit RS256 key', async () => {
    const jwks = await (await fetch(emu.jwks_url)).json();
    assert.equal(jwks.keys.length, 1);
    const [jwk] = jwks.keys;
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.use, 'sig');
    assert.match(jwk.kid, /^ins_/);
    const fromJWKS = createPublicKey({ key: jwk, format: 'jwk' });
    assert.equal(fromJWKS.asymmetricKeyDetails.modulusLength, 2048);
    assert.equal(fromJWKS.export({ type: 'spki', format: 'pem' }), emu.public_key_pem);
  });

  test('a native token (no Origin, so no azp) with Clerk\'s v2 claims', async () => {
    const client = nativeClient();
    const ada = emu.demo_users.find((u) => u.email === 'ada@example.com');
    const sid = await signIn(client, ada);
    const { jwt } = await client.call('POST', `/client/sessions/${sid}/tokens`, { organization_id: '' });
    const claims = await verifyToken(jwt, { jwtKey: emu.public_key_pem });
    assert.equal(claims.iss, 'https://clerk.deskclerk.localhost');
    assert.equal(claims.sid, sid);
    assert.match(claims.sub, /^user_/);
    assert.equal(claims.azp, undefined);
    assert.equal(claims.v, 2);
    assert.equal(claims.sts, 'active');
    assert.equal(claims.exp - claims.iat, 60);
    assert.ok(claims.nbf <= claims.iat);
    assert.deepEqual(claims.fva, [0, -1]);
    assert.equal(claims.o, undefined, 'no organization is active yet');
    for (const k of ['jti', 'pla']) assert.ok(k in claims, k);
    const header = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url'));
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(header.kid, (await (await fetch(emu.jwks_url)).json()).keys[0].kid);

    // Pinned: @clerk/backend refuses a token without azp as soon as authorizedParties
    // is set (jwt/assertions.ts assertAuthorizedPartiesClaim), so an API that lists
    // its browser origins refuses every desktop token; see the README's "Tokens
    // from the desktop app in your API".
    await assert.rejects(verifyToken(jwt, { jwtKey: emu.public_key_pem, authorizedParties: ['wails://wails', 'https://app.example.com'] }),
      /authorized party|azp/i);

    // The token ClerkJS would read from the client (last_active_token) verifies too.
    const c = await client.call('GET', '/client');
    await verifyToken(c.response.sessions[0].last_active_token.jwt, { jwtKey: emu.public_key_pem });
  });

  test('with an active organization the token carries the compact o claim', async () => {
    const client = nativeClient();
    const grace = emu.demo_users.find((u) => u.email === 'grace@example.com');
    const sid = await signIn(client, grace);
    const me = await client.call('GET', `/me?_clerk_session_id=${sid}`);
    const org = me.response.organization_memberships[0].organization;
    const touched = await client.call('POST', `/client/sessions/${sid}/touch`, { active_organization_id: org.id, intent: 'select_org' });
    assert.equal(touched.response.last_active_organization_id, org.id);
    const { jwt } = await client.call('POST', `/client/sessions/${sid}/tokens`, { organization_id: org.id });
    const claims = await verifyToken(jwt, { jwtKey: emu.public_key_pem });
    assert.deepEqual(claims.o, { id: org.id, slg: 'analytical-engines', rol: 'member', per: 'read,manage', fpm: '1' });
    assert.equal(claims.fea, 'o:dashboard');
  });

  test('azp follows the request Origin and is checked against authorizedParties', async () => {
    const client = nativeClient({ origin: 'http://localhost:5173' });
    const sid = await signIn(client, emu.demo_users[0]);
    const { jwt } = await client.call('POST', `/client/sessions/${sid}/tokens`);
    assert.equal(decode(jwt).azp, 'http://localhost:5173');
    await verifyToken(jwt, { jwtKey: emu.public_key_pem, authorizedParties: ['http://localhost:5173'] });
    await assert.rejects(verifyToken(jwt, { jwtKey: emu.public_key_pem, authorizedParties: ['https://example.com'] }), /authorized party|azp/i);
  });

  test('a tampered token and a token from another key are refused', async () => {
    const client = nativeClient();
    const sid = await signIn(client, emu.demo_users[0]);
    const { jwt } = await client.call('POST', `/client/sessions/${sid}/tokens`);
    const [h, p, s] = jwt.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(jwt), sub: 'user_someone_else' })).toString('base64url');
    await assert.rejects(verifyToken(`${h}.${forged}.${s}`, { jwtKey: emu.public_key_pem }), /signature/i);

    const other = await startEmulator(); // another instance: another key
    try {
      await assert.rejects(verifyToken(jwt, { jwtKey: other.public_key_pem }), /signature/i);
    } finally {
      await other.stop();
    }
  });
});
