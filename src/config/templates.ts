// The commented starting files `ccproxy install` writes: ccproxy.yaml (ccproxy's settings, the original's
// layout) and config.yaml (LiteLLM's model_list). Both must load with the current schemas; a test starts them.
export const CCPROXY_YAML = `# ccproxy settings. Every field is optional; the values shown are the defaults unless marked.
# Environment variables override this file: CCPROXY_DATABASE_URL (or DATABASE_URL), CCPROXY_MITM_PORT,
# CCPROXY_MITM_MAX_BODY_SIZE, CCPROXY_DEBUG. See the README (Configuration, Gateway) for every field.
ccproxy:
  # The main entry, where clients send their requests (ccproxy run sets ANTHROPIC_BASE_URL, OPENAI_BASE_URL and
  # GOOGLE_GEMINI_BASE_URL to it).
  host: 127.0.0.1
  port: 4000

  # No rule matched: route by the model the client asked for (it must be a model_name in config.yaml);
  # false sends those requests to the "default" entry instead.
  default_model_passthrough: true

  # Rules label requests; the first that matches wins, and its name is a model_name in config.yaml.
  rules: []
  # rules:
  #   - name: background
  #     rule: ccproxy.rules.MatchModelRule
  #     params: [{ model_name: claude-haiku }]
  #   - name: think
  #     rule: ccproxy.rules.ThinkingRule
  #   - name: token_count
  #     rule: ccproxy.rules.TokenCountRule
  #     params: [{ threshold: 60000 }]

  # Where an OAuth token comes from when the client sends none (a command printing it, or a file).
  # oat_sources:
  #   anthropic: "jq -r '.claudeAiOauth.accessToken' ~/.claude/.credentials.json"

  # Traffic capture: ccproxy start --mitm (or enabled: true) records both ends of the gateway.
  mitm:
    enabled: false
    # The forward capture: the gateway's provider calls, and any client using it as HTTPS_PROXY.
    port: 8081
    # null: the embedded database in this directory (no server needed);
    # or a server, e.g. postgresql://ccproxy:secret@localhost:5432/ccproxy
    database_url: null
    # Bytes of each body kept (0 = all); bodies always stream through to the client whole.
    max_body_size: 0
    capture_bodies: true
    # Hosts tunnelled without interception or a row (exact names, or *.suffix).
    excluded_hosts: []
    # Where ccproxy-ca.pem and its key live (null: this directory).
    cert_dir: null
    # true: one log line per exchange.
    debug: false
    # Store credentials (API keys, OAuth tokens, cookies) as short fingerprints only.
    redact: true
    # Delete traces older than this many days (0 keeps everything).
    retention_days: 0
    # Clients' requests the forward capture sends elsewhere (URL prefixes; the longest matching from wins),
    # for clients that read no base URL. Never applied to the gateway's own provider calls.
    map_remote: []
    # map_remote:
    #   - from: "https://api.openai.com"   # Codex CLI, its wss:// WebSocket too ...
    #     to: "http://127.0.0.1:4000"      # ... through the gateway
`;

export const CONFIG_YAML = `# The gateway's models, in LiteLLM's format. Each model_name is what clients (and rule labels) ask for;
# litellm_params.model is provider/model as the provider knows it. An entry whose model is another entry's
# model_name is an alias. api_base defaults to the provider's public API; api_key is a literal or
# os.environ/VARIABLE. Without an api_key the client's own credentials (OAuth token or key) are forwarded.
model_list:
  # "default": where requests go when a rule labels them default (or passthrough is off).
  - model_name: default
    litellm_params:
      model: claude-sonnet-4-5-20250929

  - model_name: claude-sonnet-4-5-20250929
    litellm_params:
      model: anthropic/claude-sonnet-4-5-20250929

  - model_name: claude-haiku-4-5-20251001
    litellm_params:
      model: anthropic/claude-haiku-4-5-20251001

  - model_name: claude-opus-4-1-20250805
    litellm_params:
      model: anthropic/claude-opus-4-1-20250805

  # An OpenAI model (clients using OPENAI_BASE_URL):
  # - model_name: gpt-4o
  #   litellm_params:
  #     model: openai/gpt-4o
  #     api_key: os.environ/OPENAI_API_KEY
`;
