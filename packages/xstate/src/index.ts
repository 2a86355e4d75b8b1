/**
 * `@troupe/xstate`: run an xstate v5 state machine as a Troupe behaviour. Messages become events, the snapshot
 * can be read (`getSnapshot`) and persisted (`onPersist`, `snapshot`), a machine error is a supervision failure,
 * and delayed transitions run on the actor system's clock, so on virtual time in tests and `simulate()`.
 */
export { fromMachine, type FromMachineOptions, type MachineMessage } from './fromMachine';
export { getSnapshot } from './getSnapshot';
export { isMachineQuery, type MachineQuery } from './MachineQuery';
