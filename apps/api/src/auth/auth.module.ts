import { Module } from '@nestjs/common';
import { AuthService } from './auth.service.js';

/** AuthService for the API's guard and for the admin pages' middleware (a module of its own). */
@Module({ providers: [AuthService], exports: [AuthService] })
export class AuthModule {}
