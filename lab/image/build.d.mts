// Types for lab/image/build.mjs (offline image build with docker import).
export declare const IMAGE_REPO: 'openclaw-lab-gateway'
export declare const IMAGE_CHANGES: string[]
export interface BuildResult {
  /** openclaw-lab-gateway:<12-hex content hash> */
  image: string
  /** openclaw-lab-gateway:latest (same image) */
  latest: string
  hash: string
  /** false when an image with this hash already existed */
  built: boolean
  ms: number
  /** rootfs tar bytes streamed (0 when not built) */
  bytes: number
}
export declare function buildImage(opts?: {force?: boolean; log?: (line: string) => void}): Promise<BuildResult>
