#!/usr/bin/env bash
# A sweep of 100,000,000 seeds over a Slurm job array of 16 tasks, then one merge.
#
#   sbatch deploy/slurm-array.sh                     # the 16 shards, one task each
#   sbatch --dependency=afterany:JOBID --wrap 'logoff-sim merge results/summary-*.json > results/summary.txt'
#
# Task K runs shard K of 16 (SLURM_ARRAY_TASK_ID, hence --array=0-15) and writes its JSON summary and failing seed
# files under results/, under names no other task uses. `logoff-sim` must be on PATH on the nodes
# (`cargo install --path crates/sim`).
#SBATCH --job-name=logoff-sim-sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=2
#SBATCH --mem=256M
#SBATCH --output=results/sweep-%a.log
set -euo pipefail
mkdir -p results
status=0
logoff-sim sweep --seeds 0..100000000 --jobs "${SLURM_CPUS_PER_TASK:-2}" --shard-from-env 16 --format json \
    --failures results/failures > "results/summary-${SLURM_ARRAY_TASK_ID}.json" || status=$?
# Exit 1 means the shard found failing runs (written to results/failures): the task still did its work.
[ "$status" -le 1 ]
