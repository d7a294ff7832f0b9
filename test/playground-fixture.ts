/** A model no preset has: ReLU students on an erf committee, label noise. */
export const UNSEEN = `name: relu-on-erf-playground
student:
  width: 2
  activation: relu(z)
  second_layer: {train: false}
teacher:
  width: 2
  target: committee
  activation: erf(z/sqrt(2))
loss: mse
dynamics: plain
noise: 0.01
`;
