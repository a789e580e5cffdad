"`python -m neuron_concepts` is the `neuron-concepts` command."
import sys

from neuron_concepts.cli import main

if __name__ == '__main__':
    sys.exit(main())
