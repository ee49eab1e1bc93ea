#!/usr/bin/env bash
# What the tests run for real, installed from Debian's packages when missing: the servers and
# tools the adapter tests start themselves (none is started here). Part of `npm test`, so that the
# test command passes on a fresh machine by itself.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have ps || need+=(procps)
have pkill || need+=(procps)
have curl || need+=(curl)
have /usr/sbin/nginx || need+=(nginx)
have /usr/sbin/dockerd || need+=(docker.io)
have /bin/busybox || need+=(busybox-static)
have /usr/sbin/sshd || need+=(openssh-server)
have ssh || need+=(openssh-client)
have /usr/lib/postgresql/15/bin/initdb || need+=(postgresql-15)
have psql || need+=(postgresql-client-15)
have runuser || need+=(util-linux)
have tmux || need+=(tmux)
have mkfifo || need+=(coreutils)
have /usr/bin/time || need+=(time)
# The shell completion tests run the scripts in each shell (test/e2e/completion.e2e.test.ts).
have zsh || need+=(zsh)
have fish || need+=(fish)
have git || need+=(git)
# The Prometheus adapter's tests start a real Prometheus; check's exposition is linted by promtool.
have /usr/bin/prometheus || need+=(prometheus)
have promtool || need+=(prometheus)
# check --pushgateway is tested against a real Pushgateway (test/helpers/pushgateway.ts).
have /usr/bin/prometheus-pushgateway || need+=(prometheus-pushgateway)
# run --alert reads what a real Alertmanager posts (test/integration/alertmanager.int.test.ts).
have /usr/bin/prometheus-alertmanager || need+=(prometheus-alertmanager)
# test/helpers/junit.ts reads every JUnit output with libxml2.
have xmllint || need+=(libxml2-utils)
((${#need[@]})) || exit 0

mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "The tests need these Debian packages: ${need[*]}" >&2
    echo "Install them as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
echo "Installing what the tests need: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
