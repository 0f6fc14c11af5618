// keycycle/webhooks: signed delivery of events to webhook configs, and verification in
// receivers. Re-exports only.
export type { WebhookDeliveryOptions } from './delivery'
export { eventMessage, webhookDelivery } from './delivery'
export type { CheckWebhookDestinationOptions } from './destination-check'
export { checkWebhookDestination } from './destination-check'
export type { DestinationRefusal, ForbiddenAddressClass, WebhookLookup } from './egress'
export { forbiddenAddressClass, WebhookDestinationError } from './egress'
export { eventIdFromUuid, eventUuid } from './event-uuid'
export type {
  SendWebhookOptions,
  WebhookFetch,
  WebhookFetchInit,
  WebhookTransportOptions,
} from './send'
export { DEFAULT_WEBHOOK_TIMEOUT_MS, sendWebhook } from './send'
export type { SignedWebhook, SignWebhookOptions } from './sign'
export { signWebhook } from './sign'
export type { VerifyWebhookOptions, WebhookHeaders } from './verify-webhook'
export { verifyWebhook } from './verify-webhook'
export type {
  RicloudWebhookBody,
  StandardWebhookBody,
  WebhookBody,
  WebhookFormat,
  WebhookMessage,
  WebhookRefusal,
  WebhookTarget,
  WebhookVerification,
} from './webhook-types'
