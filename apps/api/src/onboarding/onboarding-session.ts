import { ApiError } from '../common/api-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The setup app's own error shape for an unknown session, next to the usual v0 error keys. */
export class InvalidOnboardingSessionError extends ApiError {
  constructor() {
    super('record_not_found', 'Invalid OnboardingSession');
  }

  override toBody() {
    return { ...super.toBody(), error: 'Invalid OnboardingSession' };
  }
}

/** The session a request names (header `OnboardingSession`, or `onboarding_session` in the query). */
export function onboardingSessionOf(header: unknown, query?: unknown): string {
  const value = typeof header === 'string' && header !== '' ? header : query;
  if (typeof value !== 'string' || !UUID.test(value.trim())) throw new InvalidOnboardingSessionError();
  return value.trim().toLowerCase();
}
