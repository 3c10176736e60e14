#!/usr/bin/env bash
# Builds dflare as one self-contained executable (no .NET needed where it runs) and puts it in a directory on PATH:
#   scripts/install-cli.sh [DIR]     (default: /usr/local/bin as root, else ~/.local/bin)
# The same CLI as a .NET tool: dotnet pack src/Dflare.Cli -o out && dotnet tool install -g Dflare.Cli --add-source out
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then dir=$1; elif [ "$(id -u)" -eq 0 ]; then dir=/usr/local/bin; else dir=$HOME/.local/bin; fi
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/Dflare.Cli -c Release -r "$rid" --self-contained -p:PublishSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false -o "$out" -nologo -v quiet
mkdir -p "$dir"
install -m 0755 "$out/dflare" "$dir/dflare"
echo "installed $dir/dflare ($("$dir/dflare" version))"
case ":$PATH:" in *":$dir:"*) ;; *) echo "add $dir to PATH to run it as dflare" ;; esac
