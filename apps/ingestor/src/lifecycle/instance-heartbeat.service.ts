import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type GroupMember, IngestorInstancesRepository } from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

/**
 * Keeps this ingestor's row in `ingestor_instances` fresh, so every ingestor and the
 * `ingestor:decommission` command see which members of the group are live, and polls it for a
 * decommission request (which works across hosts and containers, unlike a signal).
 */
@Injectable()
export class InstanceHeartbeatService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Heartbeat');
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private onDecommission: (() => void) | undefined;
  private decommissionSeen = false;
  /** The group's members as of the last heartbeat (for /ready and /metrics). */
  members: GroupMember[] = [];

  constructor(
    private readonly instances: IngestorInstancesRepository,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  get clientId(): string {
    return this.config.MQTT_CLIENT_ID;
  }

  get subscription(): string {
    return this.config.MQTT_SHARED_SUBSCRIPTION ?? 'none';
  }

  onApplicationBootstrap(): void {
    this.beating = this.register().then(() => this.refreshMembers());
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, this.config.INGESTOR_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Called once when an operator asks this ingestor to decommission. */
  whenDecommissionRequested(listener: () => void): void {
    this.onDecommission = listener;
  }

  /**
   * Stops the heartbeat. After a restart the row stays (state `stopped`: the broker keeps this
   * member's session and share); after a completed decommission it is removed.
   */
  async stop(outcome: 'restarted' | 'decommissioned' | 'decommission-incomplete'): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.record(() =>
      outcome === 'decommissioned'
        ? this.instances.remove(this.clientId)
        : this.instances.setState(this.clientId, 'stopped'),
    );
  }

  /** Marks the row while the decommission runs, so no other decommission counts on this member. */
  async decommissioning(): Promise<void> {
    await this.record(() => this.instances.setState(this.clientId, 'decommissioning'));
  }

  private register(): Promise<void> {
    return this.record(() =>
      this.instances.register({
        clientId: this.clientId,
        subscription: this.subscription,
        host: hostname(),
        pid: process.pid,
        heartbeatMs: this.config.INGESTOR_HEARTBEAT_MS,
      }),
    );
  }

  private async beat(): Promise<void> {
    await this.record(async () => {
      const seen = await this.instances.beat(this.clientId);
      if (seen === null) {
        if (!this.decommissionSeen) await this.register();
        return;
      }
      if (seen.decommissionRequested && !this.decommissionSeen) {
        this.decommissionSeen = true;
        this.logger.log('decommission requested');
        this.onDecommission?.();
      }
    });
    await this.refreshMembers();
  }

  private async refreshMembers(): Promise<void> {
    await this.record(async () => {
      this.members = await this.instances.members(this.subscription);
    });
  }

  /** The heartbeat must never stop the ingest path: a database error is logged and retried. */
  private async record(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(`heartbeat: ${(error as Error).message}`);
    }
  }
}
