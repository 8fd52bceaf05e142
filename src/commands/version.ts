import {Command} from '@oclif/core'

export interface VersionDocument {
  fleet: string
  node: string
  platform: string
  arch: string
}

/** `fleet version`: the same line as `fleet --version` (oclif's user agent), or the versions as JSON. */
export default class Version extends Command {
  static summary = 'Print the fleet version and the Node.js version it runs on (as fleet --version).'
  static examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']
  static enableJsonFlag = true

  async run(): Promise<VersionDocument> {
    await this.parse(Version)
    this.log(this.config.userAgent)
    return {fleet: this.config.version, node: process.version, platform: this.config.platform, arch: this.config.arch}
  }
}
