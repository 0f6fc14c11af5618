import { KeycycleError } from '../core/errors'
import { ricloudFormat } from './ricloud-format'
import { standardFormat } from './standard-format'
import type { WebhookFormat } from './webhook-types'
import type { WireFormat } from './wire-format'

/** The format named `name`; throws `validation` for any other name. */
export function wireFormat(name: WebhookFormat): WireFormat {
  if (name === 'ricloud') return ricloudFormat
  if (name === 'standard') return standardFormat
  throw new KeycycleError('validation', "format: must be 'ricloud' or 'standard'", {
    details: { field: 'format' },
  })
}
