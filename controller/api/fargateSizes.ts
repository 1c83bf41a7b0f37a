/** Fargate's valid CPU/memory pairs (DESIGN §6.1): memory in MiB allowed for each CPU size. */
const memoryRanges: Readonly<
  Record<number, { min: number; max: number; step: number; extra?: readonly number[] }>
> = {
  256: { min: 512, max: 512, step: 1, extra: [1024, 2048] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

export const fargateCpuSizes = Object.keys(memoryRanges).map(Number);

export function isValidFargatePair(cpu: number, memoryMiB: number): boolean {
  const range = memoryRanges[cpu];
  if (!range) return false;
  if (range.extra?.includes(memoryMiB)) return true;
  return memoryMiB >= range.min && memoryMiB <= range.max && (memoryMiB - range.min) % range.step === 0;
}

/** A human description of the memory a CPU size allows, for validation messages. */
export function describeFargateMemoryFor(cpu: number): string {
  const range = memoryRanges[cpu];
  if (!range) return `cpu must be one of ${fargateCpuSizes.join(', ')}`;
  if (range.extra) return [range.min, ...range.extra].join(', ');
  return `${range.min} to ${range.max} in steps of ${range.step}`;
}
