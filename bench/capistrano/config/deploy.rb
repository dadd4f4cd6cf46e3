# Settings for the benchmark scenarios, all from the environment (bench/run sets them):
#   BENCH_HOSTS         file with one user@host:port per line
#   BENCH_KNOWN_HOSTS   known_hosts trusting every host (host keys are checked)
#   BENCH_IDENTITY      the client's private key
#   BENCH_ARTIFACT, BENCH_DEPLOY_ROOT   for deploy_setup / deploy
#   BENCH_CAP_LOG       airbrussh's log file (default log/capistrano.log)
set :application, "bench"
set :scm, nil   # no SCM plugin: these scenarios deploy an artifact, not a repository
set :bench_artifact, ENV["BENCH_ARTIFACT"]
set :bench_deploy_root, ENV["BENCH_DEPLOY_ROOT"]
set :format_options, log_file: ENV.fetch("BENCH_CAP_LOG", "log/capistrano.log")

File.readlines(ENV.fetch("BENCH_HOSTS")).map(&:strip).reject(&:empty?).each do |spec|
  server spec, roles: %w[app]
end

set :ssh_options, {
  keys: [ENV.fetch("BENCH_IDENTITY")],
  keys_only: true,
  use_agent: false,
  config: false,
  auth_methods: %w[publickey],
  user_known_hosts_file: ENV.fetch("BENCH_KNOWN_HOSTS"),
  global_known_hosts_file: "/dev/null",
  verify_host_key: :always,
  non_interactive: true,
}
