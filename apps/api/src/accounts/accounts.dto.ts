import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const username = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,40}$/)
  .describe('3 to 40 letters, digits, ".", "-" or "_"; unique.');
const password = z.string().min(8).max(72).describe('8 to 72 characters (bcrypt reads at most 72 bytes).');

export const signUpBody = z.object({
  email: z.email().max(320).describe('An email address; unique.'),
  username,
  password,
});
export class SignUpBody extends createZodDto(signUpBody) {}

export const loginBody = z
  .object({
    email: z.string().max(320).optional().describe('Email of the account (or give username).'),
    username: z.string().max(40).optional().describe('Username of the account (or give email).'),
    password: z.string().max(1024),
  })
  .refine((b) => b.email !== undefined || b.username !== undefined, {
    message: 'give email or username',
    path: ['email'],
  });
export class LoginBody extends createZodDto(loginBody) {}

export const sessionResponse = z.strictObject({
  access_token: z.string().describe('A bearer token: send "Authorization: Bearer <access_token>".'),
  token_type: z.literal('Bearer'),
  expires_at: z.string().describe('When the token stops working (ISO 8601).'),
});
export class SessionResponse extends createZodDto(sessionResponse) {}

export const signUpResponse = z.strictObject({
  id: z.number().int(),
  uuid: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.string(),
});
export class SignUpResponse extends createZodDto(signUpResponse) {}

export const passwordResetRequestBody = z
  .object({
    email_or_username: z.string().min(1).max(320).optional().describe('The account: its email or username.'),
    email: z.string().min(1).max(320).optional(),
    username: z.string().min(1).max(320).optional(),
  })
  .refine((b) => (b.email_or_username ?? b.email ?? b.username) !== undefined, {
    message: 'Please include parameter email, username or email_or_username',
    path: ['email_or_username'],
  });
export class PasswordResetRequestBody extends createZodDto(passwordResetRequestBody) {}

export const passwordResetRequested = z.strictObject({
  message: z.literal('Password Reset Instructions Delivered'),
});
export class PasswordResetRequested extends createZodDto(passwordResetRequested) {}

export const newPasswordBody = z.object({ password });
export class NewPasswordBody extends createZodDto(newPasswordBody) {}
