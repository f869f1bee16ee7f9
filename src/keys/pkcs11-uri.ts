// PKCS#11 URIs (RFC 7512), parsed without touching any token: `pkcs11:token=ceremony;object=log-key?pin-source=…`.
// Path attributes say which token and which key; query attributes say where the module and the PIN are. A PIN
// never travels in the URI itself (`pin-value` is refused): it would sit in shell history and the process list.

/** The token a URI names; every field given must match (blank padding of the token's fields aside). */
export interface TokenMatch {
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  slotId?: number;
  slotDescription?: string;
  slotManufacturer?: string;
  libraryManufacturer?: string;
  libraryDescription?: string;
  /** `major` or `major.minor`, compared with the module's C_GetInfo. */
  libraryVersion?: { major: number; minor: number };
}

export interface Pkcs11Uri extends TokenMatch {
  /** The key's CKA_LABEL. */
  object?: string;
  /** The key's CKA_ID (any bytes, percent-encoded in the URI). */
  id?: Uint8Array;
  /** The shared library implementing the token (query attribute `module-path`). */
  modulePath?: string;
  /** A file holding the PIN (query attribute `pin-source=file:PATH`). */
  pinFile?: string;
}

const PATH_ATTRIBUTES = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'slot-id',
  'slot-description',
  'slot-manufacturer',
  'library-manufacturer',
  'library-description',
  'library-version',
  'object',
  'id',
  'type',
]);
const QUERY_ATTRIBUTES = new Set(['module-path', 'module-name', 'pin-source', 'pin-value']);

function fail(message: string): never {
  throw new Error(`PKCS#11 URI: ${message}`);
}

/** Percent-decodes one attribute value to bytes; refuses a `%` not followed by two hex digits. */
function decodeBytes(name: string, text: string): Uint8Array {
  const bytes: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(`${name} holds a '%' not followed by two hex digits`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...utf8.encode(c));
    }
  }
  return Uint8Array.from(bytes);
}

function decodeText(name: string, text: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decodeBytes(name, text));
  } catch (err) {
    if (err instanceof TypeError) fail(`${name} is not UTF-8 once percent-decoded`);
    throw err;
  }
}

/** Splits `a=b<sep>c=d`, refusing an attribute given twice or without `=`. */
function splitAttributes(part: string, separator: string, where: string): Map<string, string> {
  const out = new Map<string, string>();
  if (part === '') return out;
  for (const item of part.split(separator)) {
    const eq = item.indexOf('=');
    // The item itself is not repeated: a mistyped attribute could hold a PIN.
    if (eq <= 0) fail(`an attribute in the ${where} is not name=value`);
    const name = item.slice(0, eq).toLowerCase();
    if (out.has(name)) fail(`${name} is given twice`);
    out.set(name, item.slice(eq + 1));
  }
  return out;
}

/** The PIN file a `pin-source` names: `file:PATH` or `file:///PATH`; commands (`|prog`) are not run. */
function parsePinSource(value: string): string {
  const decoded = decodeText('pin-source', value);
  if (!decoded.startsWith('file:'))
    fail('pin-source must be file:PATH (a file holding the PIN); or set PKCS11_PIN and leave it out');
  let path = decoded.slice('file:'.length);
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    const host = slash < 0 ? path.slice(2) : path.slice(2, slash);
    if (host !== '' && host !== 'localhost') fail('pin-source names a file on another host');
    path = slash < 0 ? '' : path.slice(slash);
  }
  if (path === '') fail('pin-source names no file');
  return path;
}

function parseVersion(value: string): { major: number; minor: number } {
  const match = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(value);
  if (!match) fail('library-version must be MAJOR or MAJOR.MINOR');
  return { major: Number(match[1]), minor: Number(match[2] ?? 0) };
}

/** True when `spec` names a key in a token rather than a file. */
export function isPkcs11Uri(spec: string): boolean {
  return typeof spec === 'string' && spec.slice(0, 7).toLowerCase() === 'pkcs11:';
}

/** Parses a URI naming one key; errors never repeat a `pin-value`, which is refused. */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!isPkcs11Uri(text)) fail("expected 'pkcs11:' followed by attributes");
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f) fail('must not hold spaces or control characters');
  }
  const body = text.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const path = splitAttributes(q < 0 ? body : body.slice(0, q), ';', 'path');
  const query = splitAttributes(q < 0 ? '' : body.slice(q + 1), '&', 'query');
  if (query.has('pin-value'))
    fail('pin-value would put the PIN on the command line: use pin-source=file:PATH or PKCS11_PIN');
  for (const name of path.keys())
    if (!PATH_ATTRIBUTES.has(name) && !name.startsWith('x-')) fail(`unknown path attribute '${name}'`);
  for (const name of query.keys())
    if (!QUERY_ATTRIBUTES.has(name) && !name.startsWith('x-')) fail(`unknown query attribute '${name}'`);
  if (query.has('module-name'))
    fail('module-name is not supported: give the library with module-path=PATH or PKCS11_MODULE');
  const type = path.get('type');
  // The URI names a key pair: either half's type designates it; certificates and other objects cannot sign.
  if (type !== undefined && type !== 'private' && type !== 'public')
    fail(`type=${type} names no Ed25519 key pair (private or public)`);
  const text_ = (name: string) => {
    const value = path.get(name);
    return value === undefined ? undefined : decodeText(name, value);
  };
  const uri: Pkcs11Uri = {};
  const assign = <K extends keyof Pkcs11Uri>(key: K, value: Pkcs11Uri[K] | undefined) => {
    if (value !== undefined) uri[key] = value;
  };
  assign('token', text_('token'));
  assign('manufacturer', text_('manufacturer'));
  assign('serial', text_('serial'));
  assign('model', text_('model'));
  assign('slotDescription', text_('slot-description'));
  assign('slotManufacturer', text_('slot-manufacturer'));
  assign('libraryManufacturer', text_('library-manufacturer'));
  assign('libraryDescription', text_('library-description'));
  assign('object', text_('object'));
  const slotId = path.get('slot-id');
  if (slotId !== undefined) {
    if (!/^\d{1,15}$/.test(slotId)) fail('slot-id must be a decimal number');
    uri.slotId = Number(slotId);
  }
  const version = path.get('library-version');
  if (version !== undefined) uri.libraryVersion = parseVersion(version);
  const id = path.get('id');
  if (id !== undefined) {
    uri.id = decodeBytes('id', id);
    if (uri.id.length === 0) fail('id is empty');
  }
  if (uri.object === undefined && uri.id === undefined) fail('name the key with object=LABEL or id=%XX…');
  const modulePath = query.get('module-path');
  if (modulePath !== undefined) uri.modulePath = decodeText('module-path', modulePath);
  const pinSource = query.get('pin-source');
  if (pinSource !== undefined) uri.pinFile = parsePinSource(pinSource);
  return uri;
}

/** The URI's path as messages show it: the token and key it names, never its query (module, PIN file). */
export function describePkcs11Uri(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) parts.push(`${name}=${encodeURIComponent(value)}`);
  };
  add('token', uri.token);
  add('manufacturer', uri.manufacturer);
  add('serial', uri.serial);
  add('model', uri.model);
  add('slot-id', uri.slotId === undefined ? undefined : String(uri.slotId));
  add('object', uri.object);
  if (uri.id !== undefined) parts.push(`id=${formatPkcs11Id(uri.id)}`);
  return `pkcs11:${parts.join(';')}`;
}

/** Percent-encodes bytes as an `id` value (every byte, as pkcs11-tool and p11tool print it). */
export function formatPkcs11Id(id: Uint8Array): string {
  return Array.from(id, (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}
