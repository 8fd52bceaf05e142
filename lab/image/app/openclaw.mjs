#!/usr/bin/env node
// Entry used by /usr/local/bin/openclaw, like the real package's openclaw.mjs.
import './dist/index.js'
