import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StatefulSet, Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { beforeAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const K8S = join(import.meta.dirname, '..', '..', 'deploy', 'k8s');

/** The kinds the manifests use, with the kubernetes-models class (bundled JSON schema) for each. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are asserted on, not trusted
type Manifest = any;
let manifests: Manifest[];

const find = (kind: string, name: string): Manifest =>
  manifests.find((m: Manifest) => m.kind === kind && m.metadata.name === name);

beforeAll(async () => {
  // kubectl kustomize builds the kustomization offline (no cluster), as `kubectl apply -k` would.
  const { stdout } = await run('kubectl', ['kustomize', K8S]);
  manifests = parseAllDocuments(stdout).map((doc) => doc.toJS());
});

it('builds with kustomize and every object validates against its Kubernetes schema', () => {
  expect(manifests.map((m: Manifest) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
    'ConfigMap/sck-ingest-config',
    'Deployment/sck-api',
    'PodDisruptionBudget/sck-api',
    'PodDisruptionBudget/sck-ingestor',
    'Service/sck-api',
    'Service/sck-ingestor',
    'StatefulSet/sck-ingestor',
  ]);
  for (const manifest of manifests) {
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    expect(Model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
    expect(() => new Model(manifest as never).validate()).not.toThrow();
  }
  // The schema check bites: a wrong type and a probe without a port are refused.
  const api = find('Deployment', 'sck-api');
  expect(() => new Deployment({ ...api, spec: { ...api.spec, replicas: 'two' } }).validate()).toThrow(
    /integer/,
  );
  const container = api.spec.template.spec.containers[0];
  const broken = structuredClone(api);
  broken.spec.template.spec.containers[0] = { ...container, readinessProbe: { httpGet: { path: '/ready' } } };
  expect(() => new Deployment(broken).validate()).toThrow(/port/);
});

it('probes, resources, disruption budgets and the ingestor grace period fit the apps', () => {
  const config = find('ConfigMap', 'sck-ingest-config').data;
  for (const [kind, name, port, hostVariable] of [
    ['Deployment', 'sck-api', 3000, 'HOST'],
    ['StatefulSet', 'sck-ingestor', 3001, 'INGESTOR_HOST'],
  ] as const) {
    const workload = find(kind, name);
    const pod = workload.spec.template.spec;
    const [container] = pod.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.resources.requests.memory).toMatch(/^\d+Mi$/);
    expect(parseInt(container.resources.limits.memory)).toBeGreaterThan(
      parseInt(container.resources.requests.memory),
    );
    // Probes reach the pod IP: the apps must listen on every interface.
    expect(container.env).toContainEqual({ name: hostVariable, value: '0.0.0.0' });
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(config.SHUTDOWN_TIMEOUT_MS));
    const budgets = manifests.filter(
      (m: Manifest) =>
        m.kind === 'PodDisruptionBudget' &&
        m.spec.selector.matchLabels['app.kubernetes.io/name'] ===
          workload.metadata.labels['app.kubernetes.io/name'],
    );
    expect(budgets).toHaveLength(1);
  }
  const ingestor = find('StatefulSet', 'sck-ingestor').spec.template.spec.containers[0];
  // Each replica's client id is its stable pod name, so a restart resumes its own session.
  expect(ingestor.env).toContainEqual({
    name: 'MQTT_CLIENT_ID',
    valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
  });
  // bench/README.md: peak RSS under 3x overload 222-285 MB: the limit is above the worst of it.
  expect(parseInt(ingestor.resources.limits.memory)).toBeGreaterThanOrEqual(Math.ceil(285e6 / 2 ** 20));
});
