/** Injection token for the MQTT pool transport (created before Nest boots, see main.ts). */
export const MQTT_POOL = Symbol('MQTT_POOL');
