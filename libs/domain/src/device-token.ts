import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 36^20 ≈ 2^103: a token nobody guesses, so nobody publishes under a device that is not theirs. */
export const DEVICE_TOKEN_LENGTH = 20;

/**
 * The Smart Citizen Kit's own form: its firmware and the onboarding flow of the Smart Citizen setup
 * app take exactly 6 lowercase letters and digits (about 31 bits), so tokens for such kits are
 * made in this form and every other device gets the long one.
 */
export const KIT_TOKEN_LENGTH = 6;

export type DeviceTokenForm = 'default' | 'kit';

/** The one generator of device tokens (REST API and `npm run device:create`), from a CSPRNG. */
export function generateDeviceToken(form: DeviceTokenForm = 'default'): string {
  const length = form === 'kit' ? KIT_TOKEN_LENGTH : DEVICE_TOKEN_LENGTH;
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
