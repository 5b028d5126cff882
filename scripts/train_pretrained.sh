#!/usr/bin/env bash
# Trains the bundled generators with gan_core's CLI (each card records its exact command),
# then copies generator.keras, card.json and a sample grid into pretrained/<name>/.
# Usage: bash scripts/train_pretrained.sh [name ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3

declare -A RECIPES=(
  [mnist]="--preset fast --dataset mnist --epochs 6 --clusters 400 --metrics-every 1"  # self-conditioned
  [mnist-cgan]="--preset cgan --dataset mnist --epochs 11 --batch 64 --ema 0.999"
  [fashion-cgan]="--preset cgan --dataset fashion_mnist --epochs 2 --batch 64 --ema 0.999"
  [cifar-animals-cgan]="--preset cgan --dataset cifar_animals --epochs 6 --batch 64 --ema 0.999"
  [birds]="--preset rgb32 --dataset ../shared/datasets/birds --image-size 32 --epochs 120 --batch 32 --diff-augment --ema 0.999"
)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(mnist mnist-cgan fashion-cgan cifar-animals-cgan birds)
for name in "${names[@]}"; do
  run="runs/pretrained/$name"
  rm -rf "$run"
  # shellcheck disable=SC2086
  python3 -m gan_core train ${RECIPES[$name]} --out "$run"
  python3 -m gan_core pretrained-export "$run" "pretrained/$name"
done
