import type { ServiceTls } from './service-tls.js';
/**
 * The normalized configuration: what `gateway.yaml` means once it has been parsed, migrated to
 * format 3.0, had its secrets resolved, been validated against `schemas/` and had every
 * reference checked. Nested entities are flattened, defaults are filled in, references are
 * resolved to ids. Everything here is plain JSON data (structured-clone safe): the main thread
 * builds it once and hands it to every worker, which compiles it into a Snapshot.
 */

/** A place in a source file. Lines and columns are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** A problem found while loading a configuration, reported as `FILE:LINE:COL message`. */
export interface Diagnostic extends SourcePos {
  message: string;
  severity: 'error' | 'warning';
}

export type ServiceProtocol = 'http' | 'https' | 'ws' | 'wss';
export type RouteProtocol = 'http' | 'https' | 'ws' | 'wss';

export interface Service {
  id: string;
  name: string | null;
  protocol: ServiceProtocol;
  /** A hostname, an IP, or the name of an entry in `upstreams` (then load-balanced). */
  host: string;
  port: number;
  /** Path prefix on the upstream, or null. Always starts with `/` when set. */
  path: string | null;
  connect_timeout: number;
  read_timeout: number;
  write_timeout: number;
  retries: number;
  enabled: boolean;
  /** client_certificate, tls_verify, tls_verify_depth, ca_certificates (resolved). */
  tls: ServiceTls;
  tags: string[];
  /**
   * `--offline` only: the unresolved `{vault://...}` reference its `url` was given as (the
   * address fields are then placeholders, shown as `<redacted>`); `diff` compares it as text.
   */
  url_reference?: string;
  pos: SourcePos;
}

export interface Route {
  id: string;
  name: string | null;
  /** Id of the service, or null for a route without one (it can only be served by a plugin that answers itself, e.g. request-termination). */
  service: string | null;
  /** As written, after migration: prefix (`/a`), regex (`~/a/\d+`), or template (`/pets/{id}`, `/files/{p+}`). */
  paths: string[];
  /** Upper-case. Empty = any method. */
  methods: string[];
  /** Lower-case, possibly `*.example.com`, `example.*`, with an optional `:port`. Empty = any host. */
  hosts: string[];
  /** Lower-case header name → accepted values (a value starting `~*` is a case-insensitive regex). */
  headers: Record<string, string[]>;
  snis: string[];
  protocols: RouteProtocol[];
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: 'v0' | 'v1';
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[];
  /** 0-based position among all routes in file order (the last tie-breaker). */
  order: number;
  pos: SourcePos;
}

export interface Consumer {
  id: string;
  username: string | null;
  custom_id: string | null;
  /** Names of the consumer groups this consumer belongs to. */
  groups: string[];
  tags: string[];
  pos: SourcePos;
}

export interface ConsumerGroup {
  id: string;
  name: string;
  tags: string[];
  pos: SourcePos;
}

interface CredentialBase {
  id: string;
  /** Consumer id. */
  consumer: string;
  tags: string[];
  pos: SourcePos;
}
export interface KeyAuthCredential extends CredentialBase {
  key: string;
}
export interface BasicAuthCredential extends CredentialBase {
  username: string;
  /** Plaintext or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). */
  password: string;
}
export interface JwtSecret extends CredentialBase {
  key: string;
  secret: string | null;
  algorithm: string;
  rsa_public_key: string | null;
}
export interface HmacAuthCredential extends CredentialBase {
  username: string;
  secret: string;
}
export interface AclEntry extends CredentialBase {
  group: string;
}

export interface PluginInstance {
  id: string;
  name: string;
  enabled: boolean;
  /** Validated against schemas/plugins/<name>.json, with defaults filled in. */
  config: Record<string, unknown>;
  /** Scope: ids, or null when not scoped on that entity. All null = global. */
  service: string | null;
  route: string | null;
  consumer: string | null;
  consumer_group: string | null;
  protocols: RouteProtocol[];
  tags: string[];
  order: number;
  pos: SourcePos;
}

export interface Target {
  id: string;
  /** `host:port` (port defaults to 8000 as in Kong when absent). */
  target: string;
  host: string;
  port: number;
  weight: number;
  tags: string[];
  pos: SourcePos;
}

export interface HealthcheckActive {
  type: 'http' | 'https';
  http_path: string;
  timeout: number;
  concurrency: number;
  /** type https: verify the target's certificate, and the SNI sent (null: none). */
  https_verify_certificate: boolean;
  https_sni: string | null;
  /** Headers of the probe request (name → values). */
  headers: Record<string, string[]>;
  healthy: { interval: number; successes: number; http_statuses: number[] };
  unhealthy: { interval: number; http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] };
}

export interface HealthcheckPassive {
  type: 'http' | 'https';
  healthy: { successes: number; http_statuses: number[] };
  unhealthy: { http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] };
}

export interface Upstream {
  id: string;
  name: string;
  algorithm: 'round-robin' | 'consistent-hashing' | 'least-connections';
  hash_on: 'none' | 'ip' | 'consumer' | 'header' | 'cookie' | 'path';
  hash_fallback: 'none' | 'ip' | 'consumer' | 'header' | 'cookie' | 'path';
  hash_on_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  slots: number;
  /** Host header sent to the targets instead of the target's host (Kong's host_header), or null. */
  host_header: string | null;
  /** Id of the `certificates` entry presented to the targets when the service names none, or null. */
  client_certificate: string | null;
  healthchecks: { active: HealthcheckActive; passive: HealthcheckPassive; threshold: number };
  targets: Target[];
  tags: string[];
  pos: SourcePos;
}

export interface Certificate {
  id: string;
  cert: string;
  key: string;
  snis: string[];
  tags: string[];
  pos: SourcePos;
}

export interface Config {
  /** Always "3.0" after migration. */
  format_version: '3.0';
  /** Absolute path of the file it came from ("<string>" when loaded from a string). */
  source: string;
  /** sha256 (hex) of the normalized configuration including resolved secrets. */
  hash: string;
  services: Service[];
  routes: Route[];
  consumers: Consumer[];
  consumer_groups: ConsumerGroup[];
  keyauth_credentials: KeyAuthCredential[];
  basicauth_credentials: BasicAuthCredential[];
  jwt_secrets: JwtSecret[];
  hmacauth_credentials: HmacAuthCredential[];
  acls: AclEntry[];
  plugins: PluginInstance[];
  upstreams: Upstream[];
  certificates: Certificate[];
  /**
   * Paths (in this normalized object, e.g. ["keyauth_credentials", 0, "key"]) of every value that
   * is a secret: credentials, vault-resolved strings, and plugin fields the plugin's schema marks
   * with `"x-secret": true`. Used to redact `/config`, logs and `sluice diff`.
   */
  secrets: Array<Array<string | number>>;
  /** Absolute paths of files read through `{vault://file/...}` (watched for hot reload). */
  referenced_files: string[];
  warnings: Diagnostic[];
}

export type LoadResult =
  | { ok: true; config: Config; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };
