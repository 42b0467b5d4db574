// TLS options of a server section: protocol bounds (including the deprecated SSL_protocols,
// mapped onto a min/max range), SPKI fingerprints, SNI name, CA locations, cipher lists.
import { type Pin, parseFingerprint } from '../transport/pin.js';
import { describeOrigin, invalid, type Origin } from './errors.js';
import type { TlsConfig, TlsVersion } from './types.js';
import { type OptionReader, type Options, parsedAt } from './values.js';

/** Oldest to newest; the versions Node can negotiate start at TLSv1. */
const PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const NODE_VERSIONS: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export function readTls(options: Options, servername: string, warnings: string[]): TlsConfig {
  const read = options.entry;
  const text = (option: string, allowEmpty = false) => options.text(option, undefined, undefined, allowEmpty);
  const hostname = text('SSL_hostname', true);
  const tls: TlsConfig = {
    verify: options.flag('SSL_verify', true),
    fingerprints: readFingerprints(read),
    servername: hostname ?? servername,
  };
  const caFile = text('SSL_CAfile');
  const caPath = text('SSL_CApath');
  const cipherList = text('SSL_cipherlist');
  const cipherSuites = text('SSL_ciphersuites', true);
  if (caFile !== undefined) tls.caFile = caFile;
  if (caPath !== undefined) tls.caPath = caPath;
  if (cipherList !== undefined) tls.cipherList = cipherList;
  if (cipherSuites !== undefined) tls.cipherSuites = cipherSuites;
  return { ...tls, ...readVersionBounds(read, warnings) };
}

function readVersionBounds(
  read: OptionReader,
  warnings: string[],
): Pick<TlsConfig, 'minVersion' | 'maxVersion'> {
  const min = read('SSL_protocol_min');
  const max = read('SSL_protocol_max');
  const legacy = read('SSL_protocols');
  if (min || max) {
    if (legacy)
      warnings.push(
        `${describeOrigin(legacy.origin)}: ignored (deprecated) since SSL_protocol_min/max are set`,
      );
    const bounds: Pick<TlsConfig, 'minVersion' | 'maxVersion'> = {};
    if (min) bounds.minVersion = versionBound(min.origin, min.value, 'min');
    if (max) bounds.maxVersion = versionBound(max.origin, max.value, 'max');
    if (bounds.minVersion && bounds.maxVersion && rank(bounds.minVersion) > rank(bounds.maxVersion))
      invalid(max!.origin, `${max!.value} is older than SSL_protocol_min = ${min!.value}`);
    return bounds;
  }
  if (!legacy) return {};
  const bounds = legacyBounds(legacy.origin, legacy.value);
  warnings.push(
    `${describeOrigin(legacy.origin)}: deprecated, read as SSL_protocol_min = ${bounds.minVersion}` +
      ` and SSL_protocol_max = ${bounds.maxVersion}; write these instead`,
  );
  return bounds;
}

const rank = (v: string) => PROTOCOLS.indexOf(v as (typeof PROTOCOLS)[number]);

function versionBound(o: Origin, value: string, side: 'min' | 'max'): TlsVersion {
  const v = value === 'TLSv1.0' ? 'TLSv1' : value;
  if (rank(v) < 0 || v === 'SSLv2')
    invalid(o, `unknown protocol ${JSON.stringify(value)}: expected ${PROTOCOLS.slice(1).join(', ')}`);
  if (NODE_VERSIONS.includes(v)) return v as TlsVersion;
  // SSLv3 as a lower bound admits every TLS version; as an upper bound it admits none we can speak.
  if (side === 'min') return 'TLSv1';
  return invalid(o, `${value} is not supported (the oldest protocol available is TLSv1)`);
}

/** `TLSv1.2 TLSv1.3` enables only those; `!TLSv1` disables one; the result must be a range. */
function legacyBounds(o: Origin, value: string): Required<Pick<TlsConfig, 'minVersion' | 'maxVersion'>> {
  const words = value.split(' ');
  const parsed = words.map((w) => {
    const name = w.replace(/^!/, '').replace(/^TLSv1\.0$/, 'TLSv1');
    if (w === '' || rank(name) < 0)
      invalid(o, `invalid value ${JSON.stringify(value)}: unknown protocol ${JSON.stringify(w)}`);
    return { name, enable: !w.startsWith('!') };
  });
  const enabled = parsed.filter((p) => p.enable).map((p) => p.name);
  const allowed = NODE_VERSIONS.filter(
    (v) => (enabled.length === 0 || enabled.includes(v)) && !parsed.some((p) => !p.enable && p.name === v),
  );
  const first = allowed[0];
  const last = allowed[allowed.length - 1];
  if (first === undefined || last === undefined)
    invalid(o, `${JSON.stringify(value)} leaves no TLS version enabled`);
  if (NODE_VERSIONS.indexOf(last) - NODE_VERSIONS.indexOf(first) + 1 !== allowed.length)
    invalid(o, `${JSON.stringify(value)} is not a contiguous range of versions; use SSL_protocol_min/max`);
  return { minVersion: first as TlsVersion, maxVersion: last as TlsVersion };
}

/** `[ALGO$]HEX` words separated by single spaces. */
function readFingerprints(read: OptionReader): Pin[] {
  const e = read('SSL_fingerprint');
  if (!e) return [];
  return e.value.split(' ').map((word) => parsedAt(e.origin, parseFingerprint, word));
}
