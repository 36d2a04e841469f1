// The OpenID Connect provider of the tests: panva's oidc-provider (a certified implementation),
// configured from the JSON in DMARC_OIDC_TEST_CONFIG by reports/harness/oidc_provider.py:
//   {"port": 0, "clients": [{client_id, client_secret, redirect_uris, post_logout_redirect_uris}],
//    "users": {"alice": {"email": ..., "name": ..., "groups": [...]}}}
// Its own sign-in and consent pages (devInteractions) take any password for a listed user.
//
// POST /test/next-token?mode=MODE makes the next token response carry an ID token gone wrong, as a
// misconfigured or hostile provider would send it (the product must refuse each):
//   wrong-audience  issued to another client      expired        expired an hour ago
//   bad-signature   signed by a key not published  unknown-issuer  names another issuer
//   replay          the ID token of the sign-in before (its nonce is that sign-in's)
import { generateKeyPair, exportJWK, decodeJwt, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.DMARC_OIDC_TEST_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;
const KID = 'test-signing-key';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const rogue = (await generateKeyPair('RS256', { extractable: true })).privateKey;
const jwk = { ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...c,
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ['dmarc-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  // The product sends PKCE: a provider that insists proves it.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const user = config.users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email_verified: true, preferred_username: id, ...user };
      },
    };
  },
});

let nextMode = null;
let lastIdToken = null;

async function misbehave(idToken, mode) {
  const now = Math.floor(Date.now() / 1000);
  const claims = decodeJwt(idToken);
  let key = privateKey;
  if (mode === 'replay') return lastIdToken;
  if (mode === 'wrong-audience') claims.aud = 'another-application';
  else if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  else if (mode === 'unknown-issuer') claims.iss = 'http://127.0.0.1:1/another-provider';
  else if (mode === 'bad-signature') key = rogue;
  else throw new Error(`unknown mode ${mode}`);
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/next-token') {
    nextMode = ctx.query.mode;
    ctx.body = { mode: nextMode };
    return;
  }
  await next();
  if (ctx.method === 'POST' && ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    const issued = ctx.body.id_token;
    if (nextMode) {
      const mode = nextMode;
      nextMode = null;
      ctx.body = { ...ctx.body, id_token: await misbehave(issued, mode) };
    }
    lastIdToken = issued;
  }
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
