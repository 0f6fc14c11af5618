#!/usr/bin/env node
import { run } from './program'

// The `keycycle` binary. The exit status is set, not forced, so output is flushed first; every
// store and timer the command opened is closed before `run` resolves.
run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((status) => {
  process.exitCode = status
})
