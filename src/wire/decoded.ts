/** What every header decoder returns on success: the header and where the next layer starts. */
export interface Decoded<H> {
  /** The decoded header. */
  readonly header: H;
  /** Offset of the first byte after this header. */
  readonly next: number;
}
