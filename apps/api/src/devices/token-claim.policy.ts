import type { ApiUser } from '#db';

/**
 * What a caller shows to take over a token that already has parked traffic. Registering such a
 * token hands its parked history to the new device, so knowing the token is not enough.
 */
export interface TokenClaimProof {
  /**
   * The kit's onboarding session proves that the caller set the kit up. POST
   * /v0/onboarding/register claims the session's own token through OnboardingRepository, so only
   * a caller of DevicesService.create that holds such a session passes true here.
   */
  onboardingSession: boolean;
}

/** The one rule for claiming a token with parked traffic: an admin, or the kit's onboarding session. */
export function mayClaimParkedToken(viewer: ApiUser, proof: TokenClaimProof): boolean {
  return viewer.role === 'admin' || proof.onboardingSession;
}
