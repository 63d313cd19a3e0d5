#!/usr/bin/env bash
# Distributed testing with torchrun (MMEngine DDP): bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py options]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each node. Without CUDA, ranks use gloo on CPU.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
DIR=$(cd "$(dirname "$0")" && pwd)
exec "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node-rank="$NODE_RANK" --master-addr="$MASTER_ADDR" \
  --master-port="$PORT" --nproc-per-node="$NPROC" "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
