/** An event file that is not an EventBridge envelope: the simulation refuses to start. */
export class MalformedSimulationInputError extends Error {
  override readonly name = 'MalformedSimulationInput';
}
