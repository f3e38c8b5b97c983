/** Time buckets of the charts' answers: a width for a span, and every bucket of a span. */

const MINUTE = 60_000;
const BUCKET_CHOICES = [MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 180 * MINUTE, 360 * MINUTE, 720 * MINUTE, 1440 * MINUTE, 7 * 1440 * MINUTE];
const TARGET_BUCKETS = 60;

/** A bucket width giving at most about 60 buckets over the span. */
export function chooseBucket(spanMs: number): number {
  return BUCKET_CHOICES.find((width) => spanMs / width <= TARGET_BUCKETS) ?? (BUCKET_CHOICES.at(-1) as number);
}

/** The starts of every bucket from `first` to `last`, so a chart's time axis has no holes; none for a span of over 2000 buckets. */
export function emptyBuckets(first: number | null, last: number | null, bucketMs: number): number[] {
  if (first === null || last === null || (last - first) / bucketMs > 2000) return [];
  const starts: number[] = [];
  for (let start = Math.floor(first / bucketMs) * bucketMs; start <= last; start += bucketMs) starts.push(start);
  return starts;
}
