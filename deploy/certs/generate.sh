#!/usr/bin/env bash
# Self-signed CA, server and client certificates (PEM) for the broker's TLS listeners (FR-023).
# Usage: deploy/certs/generate.sh [OUT_DIR] [SERVER_NAME] [CLIENT_CN]
#   then: Broker__Tls__CertificateFile=OUT/server.crt Broker__Tls__KeyFile=OUT/server.key
#         Broker__Tls__ClientCaFile=OUT/ca.crt (mutual TLS; the client certificate CN is the identity)
set -euo pipefail
out="${1:-$(dirname "$0")/out}"
server="${2:-localhost}"
client="${3:-device-1}"
mkdir -p "$out"
cd "$out"

openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=IoTix test CA" \
  -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl req -newkey rsa:2048 -nodes -subj "/CN=$server" -keyout server.key -out server.csr 2>/dev/null
printf "subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" "$server" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -out server.crt -extfile server.ext 2>/dev/null

openssl req -newkey rsa:2048 -nodes -subj "/CN=$client" -keyout client.key -out client.csr 2>/dev/null
printf "extendedKeyUsage=clientAuth\n" > client.ext
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -out client.crt -extfile client.ext 2>/dev/null

rm -f server.csr client.csr server.ext client.ext ca.srl
chmod 600 ./*.key
echo "Certificates in $out: ca.crt, server.crt/key (CN=$server), client.crt/key (CN=$client)"
