// Preloaded (`node --import`) into a CLI subprocess by harness.ts's `laterMs`: the process's
// clock reads LATER_MS milliseconds ahead, so a step can run after a key's expiry without the
// test waiting for it. Only this process's clock moves; the stores take `now` from it.
const later = Number(process.env.LATER_MS)
const RealDate = Date

class LaterDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + later)
    else super(...args)
  }

  static now() {
    return RealDate.now() + later
  }
}

globalThis.Date = LaterDate
