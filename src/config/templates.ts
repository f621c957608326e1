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

  # No rule matched: route by the model the client asked for (a model_name or a pattern in config.yaml);
  # false sends those requests to the "default" entry instead. ccproxy route MODEL shows where one goes.
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
# litellm_params.model is provider/model as the provider knows it. api_base defaults to the provider's public
# API (set it to send a provider's requests elsewhere); api_key is a literal or os.environ/VARIABLE. Without an
# api_key the client's own credentials (OAuth token or key) are forwarded, as here.
#
# A model_name with * is a pattern: "claude-*" routes any claude-... model, and the part * matched replaces the
# * of litellm_params.model, so claude-opus-4-8 goes to anthropic/claude-opus-4-8. An exact model_name wins over
# a pattern; of two patterns the more specific (longer) one wins. "*" alone catches everything else.
# An entry whose model is another model_name, or a name a pattern routes, is an alias.
# ccproxy route MODEL shows where a request would go.
model_list:
  # Labels: rules name one of these (ccproxy.yaml); "default" is also where requests go when no rule matches and
  # default_model_passthrough is false.
  - model_name: default
    litellm_params:
      model: claude-opus-4-8
  - model_name: background
    litellm_params:
      model: claude-haiku-4-5-20251001
  - model_name: think
    litellm_params:
      model: claude-opus-4-8

  # Anthropic: every Claude model under its own name (Claude Code, the Anthropic SDK).
  - model_name: claude-*
    litellm_params:
      model: anthropic/claude-*
      # api_base: https://api.anthropic.com

  # OpenAI: chat, reasoning, Codex and embedding models (clients using OPENAI_BASE_URL).
  - model_name: gpt-*
    litellm_params:
      model: openai/gpt-*
      # api_base: https://api.openai.com/v1
  - model_name: o1*
    litellm_params:
      model: openai/o1*
  - model_name: o3*
    litellm_params:
      model: openai/o3*
  - model_name: o4*
    litellm_params:
      model: openai/o4*
  - model_name: codex-*
    litellm_params:
      model: openai/codex-*
  - model_name: text-embedding-*
    litellm_params:
      model: openai/text-embedding-*

  # Google: Gemini models on Gemini's API.
  - model_name: gemini-*
    litellm_params:
      model: gemini/gemini-*

  # A fixed model under a name of your choice, with its own key:
  # - model_name: fast
  #   litellm_params:
  #     model: openai/gpt-4o-mini
  #     api_key: os.environ/OPENAI_API_KEY
`;
