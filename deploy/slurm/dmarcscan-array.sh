#!/bin/bash
# A dmarcscan scan split over a Slurm job array (docs/sharding.md):
#   sbatch --array=0-7 deploy/slurm/dmarcscan-array.sh /shared/in/tranco.csv /shared/out
# Each task scans shard SLURM_ARRAY_TASK_ID of the array's size (--shard-from-env N, which
# subtracts SLURM_ARRAY_TASK_MIN, so --array=1-8 works too). Every domain is in exactly one
# shard whatever the input's order, so all tasks read the same input file. A requeued task
# resumes its shard from its checkpoint (--resume). Then: dmarcscan's outputs sit side by
# side in OUT, one per shard, each with its metadata and summary; when every task is done,
#   dmarcscan merge -o OUT/summary.json OUT/shard-*.summary.json
# gives the whole scan's summary (it refuses shards of different scans).
#SBATCH --job-name=dmarcscan
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=12:00:00
#SBATCH --requeue
set -euo pipefail
input=${1:?usage: sbatch --array=0-N-1 $0 INPUT OUTDIR [RESOLVER]}
out=${2:?usage: sbatch --array=0-N-1 $0 INPUT OUTDIR [RESOLVER]}
resolver=${3:-127.0.0.1:53}
shards=${SLURM_ARRAY_TASK_COUNT:?run as a job array: sbatch --array=0-7 ...}
mkdir -p "$out"
exec dmarcscan scan --shard-from-env "$shards" --seed "${DMARCSCAN_SEED:-20261202}" --resume \
	--resolvers "$resolver" --quiet \
	--output "$out/shard-$SLURM_ARRAY_TASK_ID.ndjson.zst" \
	--metadata "$out/shard-$SLURM_ARRAY_TASK_ID.meta.json" \
	--summary "$out/shard-$SLURM_ARRAY_TASK_ID.summary.json" \
	"$input"
