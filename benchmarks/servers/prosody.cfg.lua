-- Prosody configuration for the Parley benchmark (benchmarks/run). @DIR@, @C2S_PORT@ and @HTTP_PORT@ are
-- filled in by the benchmark, which starts Prosody in the foreground on loopback in a temporary directory.
-- Same features as Parley's defaults: STARTTLS required, SCRAM-SHA-1/PLAIN, roster, MUC, MAM for 1:1
-- (archive everything, like Parley's mam.default = "always"), carbons, PEP, vCard, private XML, offline
-- messages, stream management, BOSH and WebSocket. No rate limits (mod_limits is not loaded).

run_as_root = true           -- the benchmark host runs everything as root
daemonize = false
pidfile = "@DIR@/prosody.pid"
data_path = "@DIR@/data"
certificates = "@DIR@/certs"
log = { warn = "@DIR@/prosody.log" }

interfaces = { "127.0.0.1" }
c2s_ports = { @C2S_PORT@ }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_ports = { }
http_ports = { @HTTP_PORT@ }
http_interfaces = { "127.0.0.1" }
https_ports = { }

modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "carbons"; "pep"; "private"; "vcard_legacy";
  "version"; "time"; "ping"; "register"; "mam"; "offline"; "smacks"; "bosh"; "websocket";
}
modules_disabled = { "s2s" }

authentication = "internal_hashed"   -- SCRAM verifiers stored, like Parley and ejabberd
storage = "internal"
c2s_require_encryption = true
allow_registration = true
-- The benchmark creates its accounts by in-band registration from 127.0.0.1.
min_seconds_between_registrations = 0
registration_throttle_max = 1000000
registration_whitelist = { "127.0.0.1", "::1" }

default_archive_policy = @ARCHIVE_ALL@   -- true with --archive-all
archive_expires_after = "1d"
consider_bosh_secure = true
consider_websocket_secure = true
bosh_max_inactivity = 60

ssl = { certificate = "@DIR@/server.crt"; key = "@DIR@/server.key"; }

VirtualHost "localhost"

Component "conference.localhost" "muc"
  restrict_room_creation = false
  max_history_messages = 20
  muc_room_default_history_length = 20
