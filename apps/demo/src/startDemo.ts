import { DashboardServer } from './internal/DashboardServer';
import { DemoCluster } from './internal/DemoCluster';

export interface DemoOptions {
  /** Node processes in the cluster. Default 5. */
  readonly nodes?: number;
  /** Port of the dashboard on 127.0.0.1; 0 picks a free one. Default 0. */
  readonly port?: number;
}

/** A running demo: its dashboard's URL, the cluster behind it, and how to stop both. */
export interface Demo {
  readonly url: string;
  readonly cluster: DemoCluster;
  /** Kills every node process and closes the dashboard. */
  stop(): Promise<void>;
}

/**
 * Starts the demo: `nodes` node processes on 127.0.0.1 forming a cluster, and the dashboard.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ nodes: 5 });
 * console.log(`dashboard: ${demo.url}`);
 * process.once('SIGINT', () => void demo.stop());
 * ```
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const cluster = await DemoCluster.start(options.nodes ?? 5);
  const dashboard = new DashboardServer(cluster);
  let url: string;
  try {
    url = await dashboard.listen(options.port ?? 0);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    url,
    cluster,
    stop: () => (stopping ??= Promise.all([cluster.stop(), dashboard.close()]).then(() => undefined)),
  };
}
